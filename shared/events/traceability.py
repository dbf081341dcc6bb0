"""Events produced by the traceability service (topic `traceability.events`).

None yet: in the foundation slice traceability only consumes. Recall cases and adverse events
(their own aggregates) will publish here.
"""
