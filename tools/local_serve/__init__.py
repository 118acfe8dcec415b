"""`make serve`: the functions of a synthesized cloud assembly, served on loopback as Lambda would.

One concern per module:
    settings.py        ports and workers per function
    catalog.py         what the templates declare: functions, aliases, Function URLs, REST APIs
    template_values.py local values for deploy-time references (buckets the stack creates)
    environment.py     a worker's environment (the function's, made local; dummy AWS credentials)
    worker.py          inside a worker process: init once, then one invocation at a time
    pool.py            a function's workers: timeout, crash and out-of-memory handling
    memory.py          the memory watchdog (resident memory against MemorySize)
    runtime.py         all pools; synchronous and queued (Event) invocations
    invoke_protocol.py the Invoke API's wire format (shared with the client tests' server)
    http_server.py     the threaded loopback HTTP server both front doors use
    invoke_api.py      front door 1: POST /2015-03-31/functions/{name}/invocations
    http_events.py     Function URL (2.0) and REST proxy (1.0) events and responses
    http_routes.py     front door 2: one route prefix per function
    embedded_s3.py     moto's S3 on loopback
    demo_data.py       buckets, demo objects and example events
    samples.py         sample request files for the printed examples
    banner.py          what is printed once ready
    server.py          start and stop, in order
    cli.py             the command line
    child_process.py   the server as a child process on free ports (make load, the e2e tests)
"""
