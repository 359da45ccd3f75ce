"""Running the service on one machine: the run command, its own Redis, the demo pages.

``run.py`` is what ``scripts/run`` starts (``python -m widget.local.run``);
``redis_server.py`` starts a local redis-server (the run command's, the tests', the
benchmarks'); ``demo.py`` serves /demo and /demo/list from ``templates/demo/``.
"""
