"""Operations: what an operator watches and asks the service.

``health.py`` is the blueprint of /healthz, /readyz, /metrics and /v1/openapi.json (the
document is ``openapi.json`` beside it); ``metrics.py`` the Prometheus metrics,
``logs.py`` the one line written per request.
"""
