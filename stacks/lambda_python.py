"""The Python version every function runs on, in one place.

3.13 because it is a CPython these machines have (the artifact tests start what ships under
it, tests/artifacts); Lambda's base image, the ZIP wheels, the locks and the Makefile's
interpreter all follow this constant. Moving to another version is this one line, then
`make lock` (the function locks are compiled for it). No imports: tools and the Makefile
read it without loading the CDK.
"""

LAMBDA_PYTHON_VERSION = "3.13"
