"""Traceability's write side. Recall cases and adverse events (its own aggregates) are added here next;
in the foundation slice the service only consumes other services' events."""

from shared.platform.eventstore import ServiceApplication


class TraceabilityApplication(ServiceApplication):
    service = "traceability"
    published: dict = {}
