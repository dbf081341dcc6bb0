"""Events produced by the inventory service (topic `inventory.events`).

Stock is kept per item (one aggregate per GTIN, so reservations of one item are serialised by
optimistic concurrency); reservation and dispatch are per order (the fulfilment aggregate).
"""

from datetime import date
from decimal import Decimal
from typing import Annotated, Any, ClassVar, Literal
from uuid import UUID

from pydantic import Field

from shared.events.base import GTIN, AwareDatetime, EventPayload, LotNumber, NoneIsEmpty, Quantity, ValueObject


class InventoryEvent(EventPayload):
    producer: ClassVar[str] = "inventory"


class ItemEvent(InventoryEvent):
    subject_field: ClassVar[str] = "item_id"
    item_id: UUID


class ItemRegistered(ItemEvent):
    event_name: ClassVar[str] = "ItemRegistered"

    gtin: GTIN
    name: str = Field(min_length=1, max_length=200)
    device_class: int = Field(ge=1, le=3, description="NMPA device class I/II/III")
    # Absent from items registered before they were recorded; regulator reports name both.
    model: str | None = Field(None, max_length=200, description="型号规格: the model / specification on the label")
    manufacturer: str | None = Field(None, max_length=200, description="生产企业: who makes the device")
    vat_rate: Decimal | None = Field(None, ge=0, lt=1, max_digits=5, decimal_places=4,
                                     description="its VAT rate, e.g. 0.13; absent: the 13% devices carry")


class LotReceived(ItemEvent):
    event_name: ClassVar[str] = "LotReceived"

    gtin: GTIN
    lot: LotNumber
    expiry: date
    quantity: Quantity
    warehouse: str = Field(min_length=1, max_length=50)
    status: Literal["quarantine", "available"] = Field(
        "available", description="quality status on receipt: quarantine until inspected; absent (available) in events"
                                 " recorded before quality inspection existed")
    supplier_id: UUID | None = Field(None, description="the qualified supplier the goods came from")
    receipt_id: UUID | None = Field(None, description="the goods receipt this line belongs to")
    serials: list[str] | None = Field(None, description="serial numbers (GS1 AI 21), one per unit, when serialised")
    production_date: date | None = None
    location: str | None = Field(None, max_length=50, description="storage location (bin) in the warehouse")
    near_expiry: bool = Field(False, description="expires within the configured warning period of the receipt date")


class LotInspected(ItemEvent):
    """Quality inspection of quarantined stock: released (available) or rejected (blocked for good)."""

    event_name: ClassVar[str] = "LotInspected"

    gtin: GTIN
    lot: LotNumber
    warehouse: str = Field(min_length=1, max_length=50)
    result: Literal["released", "rejected"]
    reason: str | None = None


class LotHeld(ItemEvent):
    """The lot is on hold in every warehouse: it is neither reserved nor shipped until quality releases it. With
    `recall_id`, the hold a recall placed: nobody can release it while that recall is open."""

    event_name: ClassVar[str] = "LotHeld"

    gtin: GTIN
    lot: LotNumber
    reason: str = Field(min_length=1, max_length=500)
    recall_id: UUID | None = Field(None, description="the open recall that stops the lot (absent: quality's own hold)")


class SerialsRecalled(ItemEvent):
    """An open recall stops these serialised units: they are neither reserved, picked nor shipped."""

    event_name: ClassVar[str] = "SerialsRecalled"

    gtin: GTIN
    recall_id: UUID
    serials: list[str] = Field(min_length=1)
    reason: str = Field(min_length=1, max_length=500)


class RecallStopLifted(ItemEvent):
    """A recall no longer stops these lots and units: it was closed, or they were taken out of its scope by a
    recall officer's decision approved by a second one. A lot stays on hold until quality releases it."""

    event_name: ClassVar[str] = "RecallStopLifted"

    gtin: GTIN
    recall_id: UUID
    lots: list[LotNumber] = Field(default_factory=list)
    serials: list[str] = Field(default_factory=list)
    cause: Literal["recall_closed", "removed_from_scope"]
    reason: str = Field(min_length=1, max_length=500)


class LotHoldReleased(ItemEvent):
    event_name: ClassVar[str] = "LotHoldReleased"

    gtin: GTIN
    lot: LotNumber
    reason: str = Field(min_length=1, max_length=500)


class SupplierEvent(InventoryEvent):
    """A supplier goods are received from, and its qualification documents (首营资质)."""

    subject_field: ClassVar[str] = "supplier_id"
    supplier_id: UUID


class SupplierRegistered(SupplierEvent):
    event_name: ClassVar[str] = "SupplierRegistered"

    name: str = Field(min_length=1, max_length=200)
    credit_code: str | None = Field(None, max_length=18, description="unified social credit code (统一社会信用代码)")


class SupplierQualificationRecorded(SupplierEvent):
    event_name: ClassVar[str] = "SupplierQualificationRecorded"

    document_type: str = Field(min_length=1, max_length=50,
                               description="business_licence, production_licence, distribution_licence, ...")
    number: str = Field(min_length=1, max_length=100)
    valid_from: date
    valid_to: date


class LotAllocation(ValueObject):
    lot: LotNumber
    expiry: date
    warehouse: str
    quantity: Quantity


class StockAllocated(ItemEvent):
    """Lots of one item set aside for an order, earliest expiry first (FEFO)."""

    event_name: ClassVar[str] = "StockAllocated"

    gtin: GTIN
    order_id: UUID
    allocations: list[LotAllocation] = Field(min_length=1)


class StockDeallocated(ItemEvent):
    """What was allocated to an order that was cancelled before it shipped, available again."""

    event_name: ClassVar[str] = "StockDeallocated"

    gtin: GTIN
    order_id: UUID
    allocations: list[LotAllocation] = Field(min_length=1)


class AllocatedStockShipped(ItemEvent):
    event_name: ClassVar[str] = "AllocatedStockShipped"

    gtin: GTIN
    order_id: UUID
    shipment_id: UUID
    allocations: list[LotAllocation] = Field(min_length=1)


class ScheduledDelivery(ValueObject):
    date: date
    quantity: Quantity


class RequestedLine(ValueObject):
    line_no: int = Field(ge=1)
    gtin: GTIN
    quantity: Quantity
    min_remaining_shelf_life_days: int | None = Field(None, ge=0)
    deliveries: list[ScheduledDelivery] | None = Field(None, description="the line's delivery plan (交付计划)")


class PlannedDelivery(ValueObject):
    line_no: int = Field(ge=1)
    gtin: GTIN
    quantity: Quantity
    delivery_date: date
    min_remaining_shelf_life_days: int | None = Field(None, ge=0)


OrderType = Literal["standard", "consignment", "loaner", "free_goods"]


class FulfilmentEvent(InventoryEvent):
    """Fulfilment of one sales order: one aggregate per order, from request to dispatch."""

    subject_field: ClassVar[str] = "fulfilment_id"
    fulfilment_id: UUID
    order_id: UUID


class FulfilmentRequested(FulfilmentEvent):
    event_name: ClassVar[str] = "FulfilmentRequested"

    ship_to_hospital_id: UUID
    lines: list[RequestedLine] = Field(min_length=1)
    requested_delivery_date: date | None = None
    ship_to_distributor_id: UUID | None = Field(
        None, description="goods ship to this distributor (配送商), who delivers to the hospital; absent: shipped direct")
    ship_complete: bool = Field(False, description="ship only when every line can be reserved in full (no partial"
                                                   " deliveries); absent (false) before partial deliveries existed")
    order_type: OrderType = "standard"
    delivery_address: str | None = Field(None, max_length=300, description="where to deliver, when not the"
                                                                  " customer's registered address")


class ReservedLine(ValueObject):
    line_no: int = Field(ge=1)
    gtin: GTIN
    lot: LotNumber
    expiry: date
    warehouse: str
    quantity: Quantity
    delivery_date: date | None = Field(None, description="the planned delivery it is reserved for")


class BackorderedLine(ValueObject):
    line_no: int = Field(ge=1)
    gtin: GTIN
    quantity: Quantity = Field(description="what is still to be reserved of the line")
    min_remaining_shelf_life_days: int | None = Field(None, ge=0)
    delivery_date: date | None = Field(None, description="the planned delivery it is short for")


class StockReserved(FulfilmentEvent):
    """Stock reserved for the order: `lines` are what this reservation took (a later one, when released stock
    covers a backorder, adds to it); `backordered` what is still short and waits for stock (empty: all reserved)."""

    event_name: ClassVar[str] = "StockReserved"

    lines: list[ReservedLine] = Field(min_length=1)
    picking_required: bool = Field(False, description="dispatch waits until every reserved unit is confirmed by a"
                                                      " UDI scan (PicksConfirmed); absent (false) before picking existed")
    backordered: Annotated[list[BackorderedLine], NoneIsEmpty] = Field(
        default_factory=list, description="still short after this reservation (partial delivery); absent (empty)"
                                          " before partial deliveries existed")


class Shortage(ValueObject):
    gtin: GTIN
    requested: Quantity
    available: int = Field(ge=0)


class StockReservationRejected(FulfilmentEvent):
    """Nothing could be reserved (no usable stock for any line, or the order ships complete and some line is short):
    the order is backordered and waits for stock."""

    event_name: ClassVar[str] = "StockReservationRejected"

    reason: str
    shortages: list[Shortage] = Field(min_length=1)


class ShipmentLine(ValueObject):
    line_no: int | None = Field(None, ge=1, description="the order line shipped; absent before partial deliveries")
    gtin: GTIN
    lot: LotNumber
    expiry: date
    quantity: Quantity
    serials: list[str] | None = Field(None, description="serial numbers (GS1 AI 21) scanned at picking, when serialised")


class FulfilmentDeliveriesScheduled(FulfilmentEvent):
    """Deliveries of the order's delivery plan (交付计划) due later than the reservation horizon: each is reserved
    when it comes due (FulfilmentDeliveriesDue), FEFO judged on its own date, and shipped on its own."""

    event_name: ClassVar[str] = "FulfilmentDeliveriesScheduled"
    deliveries: list[PlannedDelivery] = Field(min_length=1)


class FulfilmentDeliveriesDue(FulfilmentEvent):
    """Scheduled deliveries came due: reserved now as far as stock goes (StockReserved), the rest backordered."""

    event_name: ClassVar[str] = "FulfilmentDeliveriesDue"
    deliveries: list[PlannedDelivery] = Field(min_length=1)


class FulfilmentHeld(FulfilmentEvent):
    """The order was put on hold (order service's OrderHeld) after it reached fulfilment: not dispatched until it is
    released."""

    event_name: ClassVar[str] = "FulfilmentHeld"
    hold: str = Field(min_length=1, max_length=50)


class FulfilmentHoldReleased(FulfilmentEvent):
    event_name: ClassVar[str] = "FulfilmentHoldReleased"
    hold: str = Field(min_length=1, max_length=50)


class FulfilmentAmended(FulfilmentEvent):
    """The order was amended: what was reserved and not shipped is released (StockDeallocated) and what the new
    lines leave to ship is reserved FEFO (StockReserved) or backordered (StockReservationRejected); picks start
    over. What has shipped stays shipped."""

    event_name: ClassVar[str] = "FulfilmentAmended"
    lines: list[dict[str, Any]] = Field(description="what is left to ship per line: line_no, gtin, quantity (and"
                                                    " shelf-life minimum); empty when everything left has shipped")
    requested_delivery_date: date | None = None
    delivery_address: str | None = Field(None, max_length=300, description="where to deliver, when not the"
                                                                  " customer's registered address")


class FulfilmentAmendmentRefused(FulfilmentEvent):
    event_name: ClassVar[str] = "FulfilmentAmendmentRefused"
    reason: str = Field(min_length=1, max_length=500)


class FulfilmentCancelled(FulfilmentEvent):
    """The order was cancelled: what was reserved and not shipped is released (StockDeallocated). After a partial
    delivery, what has shipped stays shipped and the order is closed."""

    event_name: ClassVar[str] = "FulfilmentCancelled"
    released: list[dict[str, Any]] = Field(default_factory=list, description="the reserved lines released")


class FulfilmentCancellationRefused(FulfilmentEvent):
    """The order's cancellation came too late: goods have shipped (the order stays as it is)."""

    event_name: ClassVar[str] = "FulfilmentCancellationRefused"
    reason: str = Field(min_length=1, max_length=500)


class ShipmentDispatched(FulfilmentEvent):
    event_name: ClassVar[str] = "ShipmentDispatched"

    shipment_id: UUID
    ship_to_hospital_id: UUID = Field(description="the hospital the order is for")
    ship_to_distributor_id: UUID | None = Field(
        None, description="when set, the shipment goes to this distributor (配送商), the consignee, who delivers to the"
                          " hospital and reports it in its sell-out (流向); absent: shipped direct to the hospital")
    ship_from_warehouse: str
    carrier: str = Field(min_length=1, max_length=100)
    tracking_number: str = Field(min_length=1, max_length=100)
    dispatched_at: AwareDatetime
    lines: list[ShipmentLine] = Field(min_length=1)
    order_type: OrderType = Field("standard", description="consignment (寄售) and loaner (跟台) shipments go to a"
                                                           " consignment location, uninvoiced: the consignee holds"
                                                           " the goods (recall) but they are the manufacturer's until"
                                                           " used (ConsignmentUsed); free_goods (货补, a rebate"
                                                           " given as goods) ship to the distributor, uninvoiced")
    delivery_address: str | None = Field(None, max_length=300, description="where to deliver, when not the"
                                                                  " customer's registered address")


# Outbound: picking by UDI scan, delivery, hospital acceptance (验收), returns (RMA), kits ------------------------

class PickedLine(ValueObject):
    line_no: int = Field(ge=1, description="the reserved line the units were picked for")
    gtin: GTIN
    lot: LotNumber
    warehouse: str
    quantity: Quantity
    serials: list[str] | None = Field(None, description="serial numbers scanned (GS1 AI 21), when serialised")


class PicksConfirmed(FulfilmentEvent):
    """Reserved units confirmed by UDI scans at picking: GTIN, lot (and serial) as scanned matched the reservation."""

    event_name: ClassVar[str] = "PicksConfirmed"

    lines: list[PickedLine] = Field(min_length=1)
    complete: bool = Field(description="every reserved unit of the order is now picked")


class ShipmentDelivered(FulfilmentEvent):
    event_name: ClassVar[str] = "ShipmentDelivered"

    shipment_id: UUID
    delivered_at: AwareDatetime
    received_by: str | None = Field(None, max_length=100, description="who signed for the parcel")


class Discrepancy(ValueObject):
    gtin: GTIN
    lot: LotNumber | None = None
    kind: Literal["short", "over", "damaged", "wrong_item", "other"]
    quantity: int = Field(ge=0)
    note: str | None = Field(None, max_length=500)


class ShipmentAccepted(FulfilmentEvent):
    """The hospital's acceptance inspection (验收) of a delivered shipment, with any discrepancy found."""

    event_name: ClassVar[str] = "ShipmentAccepted"

    shipment_id: UUID
    accepted_by: str = Field(min_length=1, max_length=100, description="the person at the hospital who accepted it")
    accepted_at: AwareDatetime
    discrepancies: list[Discrepancy] = Field(default_factory=list)
    note: str | None = Field(None, max_length=500)


ReturnReason = Literal["damaged", "expired", "wrong_item", "recall", "other"]
ReturnDisposition = Literal["restock", "quarantine", "scrap"]


class ReturnedLine(ValueObject):
    gtin: GTIN
    lot: LotNumber
    expiry: date
    quantity: Quantity
    serials: list[str] | None = None


class ShipmentReturned(FulfilmentEvent):
    """A return (RMA) against a shipment: never more than shipped minus what was already returned."""

    event_name: ClassVar[str] = "ShipmentReturned"

    return_id: UUID
    shipment_id: UUID
    ship_to_hospital_id: UUID = Field(description="the hospital the goods come back from")
    reason: ReturnReason
    disposition: ReturnDisposition = Field(
        description="restock: back into quarantine for inspection before restocking; quarantine: held in quarantine;"
                    " scrap: destroyed, never back in stock")
    warehouse: str = Field(min_length=1, max_length=50, description="where the goods come back to")
    lines: list[ReturnedLine] = Field(min_length=1)
    note: str | None = Field(None, max_length=500)
    credit: bool = Field(True, description="the customer is credited for the goods (billing issues a credit note on"
                                           " the shipment's invoice); absent before it was asked: credited")


class StockReturned(ItemEvent):
    """Returned units of a lot: into quarantine (restock, quarantine) or recorded as scrapped (not in stock)."""

    event_name: ClassVar[str] = "StockReturned"

    gtin: GTIN
    lot: LotNumber
    expiry: date
    warehouse: str = Field(min_length=1, max_length=50)
    quantity: Quantity
    return_id: UUID
    order_id: UUID
    shipment_id: UUID
    reason: ReturnReason
    disposition: ReturnDisposition
    status: Literal["quarantine", "scrapped"]


class KitComponent(ValueObject):
    gtin: GTIN
    lot: LotNumber
    expiry: date
    warehouse: str
    quantity: Quantity


class ComponentsConsumed(ItemEvent):
    """Available stock of a component item taken by a kit assembly (or re-packing)."""

    event_name: ClassVar[str] = "ComponentsConsumed"

    gtin: GTIN
    assembly_id: UUID
    kit_gtin: GTIN
    kit_lot: LotNumber
    consumed: list[LotAllocation] = Field(min_length=1)


class KitAssembled(ItemEvent):
    """A new lot of a kit item made from component lots: the one link from inputs to output for traceability."""

    event_name: ClassVar[str] = "KitAssembled"

    gtin: GTIN
    assembly_id: UUID
    lot: LotNumber
    expiry: date = Field(description="the earliest component expiry, or earlier when given")
    quantity: Quantity
    warehouse: str = Field(min_length=1, max_length=50)
    components: list[KitComponent] = Field(min_length=1)
    status: Literal["quarantine"] = Field("quarantine", description="a new kit lot waits for quality release")


# Item master data: UDI-DIs per packaging level, registration certificate, storage conditions, tracking ---------


class PackagingLevelAdded(ItemEvent):
    """A packaging level of the item (box or case) with its own UDI-DI; the item's GTIN is the "each" level."""

    event_name: ClassVar[str] = "PackagingLevelAdded"

    gtin: GTIN = Field(description="the item's base GTIN (each)")
    level: Literal["box", "case"]
    packaging_gtin: GTIN
    quantity: int = Field(ge=2, description="units of the base item (each) in one package of this level")


class RegistrationCertificateSet(ItemEvent):
    """The item's NMPA registration certificate (注册证); a new one replaces the previous one."""

    event_name: ClassVar[str] = "RegistrationCertificateSet"

    gtin: GTIN
    number: str = Field(min_length=1, max_length=100, description="注册证编号")
    holder: str = Field(min_length=1, max_length=200, description="注册人")
    valid_from: date
    valid_to: date
    scope: str | None = Field(None, max_length=2000, description="适用范围 / scope of the registration")


class StorageConditionsSet(ItemEvent):
    event_name: ClassVar[str] = "StorageConditionsSet"

    gtin: GTIN
    min_temperature_c: float | None = Field(None, description="lowest storage temperature, °C")
    max_temperature_c: float | None = Field(None, description="highest storage temperature, °C")
    description: str | None = Field(None, max_length=500, description="e.g. keep dry, away from light")


class TrackingSet(ItemEvent):
    event_name: ClassVar[str] = "TrackingSet"

    gtin: GTIN
    lot_tracked: bool
    serial_tracked: bool
    implant: bool


class SalesBlockSet(ItemEvent):
    """The item is blocked (or unblocked) for sale: orders for it are refused while blocked. The reason is the
    event's."""

    event_name: ClassVar[str] = "SalesBlockSet"

    gtin: GTIN
    blocked: bool


class ProductGroupSet(ItemEvent):
    """The item's product group (e.g. 冠脉支架), which pricing rules may select by; absent: none."""

    event_name: ClassVar[str] = "ProductGroupSet"

    gtin: GTIN
    group: str | None = Field(None, min_length=1, max_length=50)


class MedicalInsuranceCodeSet(ItemEvent):
    """The item's national medical-insurance consumables code (医保医用耗材分类与代码, 医保耗材编码): 20 characters —
    "C", 6 classification digits, 3 generic-name, 5 feature and 5 manufacturer digits — or 27 with a 7-character
    product suffix (upper-case letters and digits) (services/inventory/domain/insurance_code.py); absent: the code was taken off the item."""

    event_name: ClassVar[str] = "MedicalInsuranceCodeSet"

    gtin: GTIN
    code: str | None = Field(None, pattern=r"^C[0-9]{19}(?:[0-9A-Z]{7})?$", description="医保耗材编码 (20 or 27 characters)")


# Stock control: moves, counts, adjustments, near-expiry ---------------------------------------------------------


class StockMoved(ItemEvent):
    """Available stock of a lot moved to another warehouse, or (all of it) to another location in the same one."""

    event_name: ClassVar[str] = "StockMoved"

    gtin: GTIN
    lot: LotNumber
    expiry: date
    quantity: Quantity
    from_warehouse: str = Field(min_length=1, max_length=50)
    from_location: str | None = None
    to_warehouse: str = Field(min_length=1, max_length=50)
    to_location: str | None = None
    move_id: str | None = Field(None, description="the external reference of the move, when a WMS posted it")


class StockCounted(ItemEvent):
    """A cycle count of a lot in a warehouse; a difference is recorded as the StockAdjusted that follows."""

    event_name: ClassVar[str] = "StockCounted"

    gtin: GTIN
    lot: LotNumber
    warehouse: str = Field(min_length=1, max_length=50)
    expected: int = Field(ge=0, description="on hand in the books when counted")
    counted: int = Field(ge=0)
    count_id: str | None = None


class StockAdjusted(ItemEvent):
    event_name: ClassVar[str] = "StockAdjusted"

    gtin: GTIN
    lot: LotNumber
    warehouse: str = Field(min_length=1, max_length=50)
    quantity_change: int = Field(description="added (positive) or removed (negative) units")
    on_hand: int = Field(ge=0, description="on hand after the adjustment")
    reason: str = Field(min_length=1, max_length=500)
    count_id: str | None = Field(None, description="the cycle count that found the difference, if any")


class StockNearingExpiry(ItemEvent):
    """Stock of a lot in a warehouse crossed a near-expiry threshold (reported once per threshold)."""

    event_name: ClassVar[str] = "StockNearingExpiry"

    gtin: GTIN
    lot: LotNumber
    warehouse: str = Field(min_length=1, max_length=50)
    threshold_days: int = Field(ge=0)
    expiry: date
    days_left: int
    on_hand: int = Field(ge=0)


# Messages from external warehouse systems (WMS/TMS) ---------------------------------------------------------------


class ExternalMessageAccepted(InventoryEvent):
    """A WMS message (receipt, stock move, picks, shipment) was applied; its other events are in the same transaction."""

    event_name: ClassVar[str] = "ExternalMessageAccepted"
    subject_field: ClassVar[str] = "message_id"

    message_id: UUID
    external_reference: str = Field(min_length=1, max_length=200)
    kind: Literal["receipt", "stock_move", "pick", "shipment"]
    payload_sha256: str = Field(pattern=r"^[0-9a-f]{64}$")
    result: dict = Field(description="the answer the WMS was given; repeats of the message get it again")


# Consignment (寄售) and loaner sets (跟台): services/inventory/domain/consignment.py ---------------------------

class ConsignmentEvent(InventoryEvent):
    subject_field: ClassVar[str] = "location_id"
    location_id: UUID = Field(description="a consignee's standing consignment stock, or one loaner set")


class ConsignedLine(ValueObject):
    gtin: GTIN
    lot: LotNumber
    expiry: date
    quantity: Quantity
    serials: list[str] | None = None
    order_id: UUID | None = Field(None, description="the consignment or loaner order that placed the units")
    line_no: int | None = Field(None, ge=1)


class ConsignmentLocationOpened(ConsignmentEvent):
    event_name: ClassVar[str] = "ConsignmentLocationOpened"
    kind: Literal["consignment", "loaner"]
    consignee_id: UUID = Field(description="the hospital or distributor holding the goods")
    hospital_id: UUID
    loaner_order_id: UUID | None = None


class ConsignmentStockPlaced(ConsignmentEvent):
    """A consignment or loaner shipment at the location: the manufacturer's goods, held by the consignee."""

    event_name: ClassVar[str] = "ConsignmentStockPlaced"
    order_id: UUID
    shipment_id: UUID
    lines: list[ConsignedLine] = Field(min_length=1)


class ConsignmentUsed(ConsignmentEvent):
    """A usage report: these units were used (e.g. implanted; `reference` names the operation) and leave the
    location; the order service turns them into a sales order, which billing invoices."""

    event_name: ClassVar[str] = "ConsignmentUsed"
    usage_id: UUID
    consignee_id: UUID
    hospital_id: UUID
    lines: list[ConsignedLine] = Field(min_length=1)
    used_on: date
    reference: str = Field(min_length=1, max_length=200)
    loaner_order_id: UUID | None = None


class ConsignmentStockReturned(ConsignmentEvent):
    """Units back from the location (the rest of a loaner set; consignment stock withdrawn): ShipmentReturned
    brings them into quarantine."""

    event_name: ClassVar[str] = "ConsignmentStockReturned"
    return_id: UUID
    lines: list[ConsignedLine] = Field(min_length=1)
