"""The services, listed once. Each is described by its composition root (services/<name>/bootstrap.py)."""

from shared.platform.service import ServiceDefinition
from shared.platform.settings import SERVICES as SERVICE_NAMES


def definitions() -> tuple[ServiceDefinition, ...]:
    # Imported when asked, not when this module is: a service's bootstrap imports the platform.
    from services.analytics.bootstrap import ANALYTICS
    from services.billing.bootstrap import BILLING
    from services.channel.bootstrap import CHANNEL
    from services.inventory.bootstrap import INVENTORY
    from services.order.bootstrap import ORDER
    from services.traceability.bootstrap import TRACEABILITY

    services = CHANNEL, ORDER, INVENTORY, BILLING, TRACEABILITY, ANALYTICS
    assert tuple(s.name for s in services) == SERVICE_NAMES, "the registry lists every service, in order"
    return services


def definition(name: str) -> ServiceDefinition:
    for service in definitions():
        if service.name == name:
            return service
    raise LookupError(f"no service named {name!r}; the services are {', '.join(SERVICE_NAMES)}")
