"""Process managers: a dispatched shipment is invoiced at the prices its order agreed (application/invoicing.py);
a consignment or loaner shipment only when its units are used (ConsignmentUsed, at its consumption order's prices);
a rebate approved as 票折 is deducted from the distributor's next invoices; goods returned with credit get a credit
note (红字) on their shipment's invoice (application/credit_notes.py)."""

from shared.domain.business_day import business_day
from shared.events import CloudEvent, EventPayload
from shared.domain.consignment import consumption_order_id
from shared.events.channel import RebateSettlementApproved
from shared.events.inventory import ConsignmentUsed, ShipmentDispatched, ShipmentReturned
from shared.platform.consumer import ProcessManager
from services.billing.application import BillingUnitOfWork, credit_notes, invoicing


class ShipmentInvoicer(ProcessManager):
    name = "billing-shipment-invoicer"
    subscribes_to = ("inventory",)

    def react(self, envelope: CloudEvent, payload: EventPayload, uow: BillingUnitOfWork) -> None:
        if isinstance(payload, ShipmentDispatched) and payload.order_type == "standard":  # consigned: not yet sold
            invoicing.invoice_shipment(invoicing.InvoiceShipment(
                shipment_id=payload.shipment_id, order_id=payload.order_id, hospital_id=payload.ship_to_hospital_id,
                bill_to_distributor_id=payload.ship_to_distributor_id,
                lines=tuple(invoicing.ShippedLine(gtin=line.gtin, lot=line.lot, quantity=line.quantity)
                            for line in payload.lines), issued_on=business_day(payload.dispatched_at)), uow)


class ConsumptionInvoicer(ProcessManager):
    """Consigned units used (a usage report) are invoiced at the terms of the sales order the order service made of
    them (its id derived from the report's), waiting for that order's terms like a shipment does."""

    name = "billing-consumption-invoicer"
    subscribes_to = ("inventory",)

    def react(self, envelope: CloudEvent, payload: EventPayload, uow: BillingUnitOfWork) -> None:
        if isinstance(payload, ConsignmentUsed):
            invoicing.invoice_shipment(invoicing.InvoiceShipment(
                shipment_id=payload.usage_id, order_id=consumption_order_id(payload.usage_id),
                hospital_id=payload.hospital_id,
                bill_to_distributor_id=payload.consignee_id if payload.consignee_id != payload.hospital_id else None,
                lines=tuple(invoicing.ShippedLine(gtin=line.gtin, lot=line.lot, quantity=line.quantity)
                            for line in payload.lines), issued_on=business_day(envelope.time)), uow)


class RebateDiscounts(ProcessManager):
    """A rebate settlement channel approved as an invoice discount (票折) joins the distributor's allowance, taken
    off its next invoices (application/invoicing.py)."""

    name = "billing-rebate-discounts"
    subscribes_to = ("channel",)

    def react(self, envelope: CloudEvent, payload: EventPayload, uow: BillingUnitOfWork) -> None:
        if isinstance(payload, RebateSettlementApproved) and payload.mode == "invoice_discount":
            invoicing.grant_rebate(invoicing.GrantRebate(
                distributor_id=payload.distributor_id, settlement=f"{payload.account_id}:{payload.settlement_no}",
                amount=payload.amount), uow)


class ReturnCredits(ProcessManager):
    name = "billing-return-credits"
    subscribes_to = ("inventory",)

    def react(self, envelope: CloudEvent, payload: EventPayload, uow: BillingUnitOfWork) -> None:
        if isinstance(payload, ShipmentReturned) and payload.credit:
            credit_notes.credit_return(credit_notes.CreditReturn(
                return_id=payload.return_id, shipment_id=payload.shipment_id,
                lines=tuple({"gtin": line.gtin, "lot": line.lot, "quantity": line.quantity}
                            for line in payload.lines), on=business_day(envelope.time)), uow)
