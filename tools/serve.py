"""`make serve`: every synthesized function on loopback (see tools/local_serve/cli.py).

python -m tools.serve [--cdk-out cdk.out] [--http-port 3000] [--lambda-port 3001] [--s3-port 4566]
"""

from __future__ import annotations

from tools.local_serve.cli import main

if __name__ == "__main__":
    raise SystemExit(main())
