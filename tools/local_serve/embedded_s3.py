"""The embedded S3: moto's server on 127.0.0.1, with buckets and objects put in at start.

moto's ThreadedMotoServer binds its port on its own thread and waits forever when the port
is taken (werkzeug prints a message and exits that thread); this builds the same server
(moto's WSGI app on werkzeug) on a socket bound in the constructor, so a busy port is
reported to the caller like the other ports.
"""

from __future__ import annotations

import logging
import socket
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import boto3
from moto.moto_server.werkzeug_app import DomainDispatcherApplication, create_backend_app
from werkzeug.serving import BaseWSGIServer, make_server

from tools.local_serve.http_server import LOOPBACK, ServerThread

LOCAL_CREDENTIALS = {"aws_access_key_id": "testing", "aws_secret_access_key": "testing"}

ObjectSource = bytes | Path


class EmbeddedS3(ServerThread):
    def __init__(self, *, port: int, region_name: str) -> None:
        self.region_name = region_name
        # werkzeug logs every request at INFO on a handler of its own; keep the terminal for functions.
        logging.getLogger("werkzeug").setLevel(logging.WARNING)
        # Bound here, so a busy port raises OSError (werkzeug itself would print and exit).
        listening = socket.create_server((LOOPBACK, port))
        try:
            server: BaseWSGIServer = make_server(
                LOOPBACK, port, DomainDispatcherApplication(create_backend_app), threaded=True, fd=listening.fileno()
            )
        finally:
            listening.close()  # werkzeug serves on its own duplicate of the socket
        super().__init__(server, thread_name="embedded-s3")

    def client(self) -> Any:  # a boto3 S3 client (boto3 ships no types)
        return boto3.session.Session(**LOCAL_CREDENTIALS, region_name=self.region_name).client(
            "s3", endpoint_url=self.endpoint_url
        )

    def put(self, buckets: Mapping[str, Mapping[str, ObjectSource]]) -> int:
        """Create each bucket and put its objects (key -> bytes or a file); objects put."""
        s3 = self.client()
        count = 0
        for bucket, objects in buckets.items():
            arguments: dict[str, Any] = {"Bucket": bucket}
            if self.region_name != "us-east-1":
                arguments["CreateBucketConfiguration"] = {"LocationConstraint": self.region_name}
            s3.create_bucket(**arguments)
            for key, source in objects.items():
                body = source.read_bytes() if isinstance(source, Path) else source
                s3.put_object(Bucket=bucket, Key=key, Body=body)
                count += 1
        return count
