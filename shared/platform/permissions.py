"""Who may do what, in one place: a permission per action, roles as named sets of permissions.

Every route declares the permission it needs (shared/platform/access.py); a token's roles grant the union of their
permissions. The README's role table is this module. Data scopes (which customers' data a permission reaches) are
the other half, in access.py.
"""

# Each permission: what it lets a person do. Permissions of capabilities still to come (prices, credit, rebates,
# payments) are listed so that roles are complete from the start and those routes are born with them.
PERMISSIONS: dict[str, str] = {
    # order
    "order:place": "place a sales order",
    "order:read": "read orders",
    "order:release-credit-hold": "release an order held for credit, with a reason and until when",
    "order:hold": "put a manual or compliance hold on an order",
    "order:release-manual-hold": "release an order's manual hold",
    "order:release-compliance-hold": "release an order's compliance hold",
    "credit:read": "read a customer's credit limit and exposure",
    "credit:manage": "set customers' credit limits",
    "quote:manage": "draft, submit and send quotes, and record a customer's acceptance",
    "quote:read": "read quotes",
    "contract:manage": "draft, sign, amend and terminate contracts",
    "contract:read": "read contracts and their consumption",
    # channel master data
    "hospital:register": "register a hospital",
    "hospital:read": "read hospitals",
    "hospital:update": "change a hospital's contact",
    "distributor:register": "register a distributor",
    "distributor:read": "read distributors",
    "distributor:update": "change a distributor's contact, record its licences",
    "distributor:authorize": "grant or revoke a distributor's authorization (授权书)",
    "consignment:report-usage": "report the units used from consignment stock or a loaner set (by UDI scans)",
    "price:read": "read price lists and pricing rules",
    "price:manage": "propose prices and pricing rules",
    "price:approve": "approve a price or a deviation (four eyes)",
    "rebate:settle": "approve a rebate settlement (票折 or 货补), not one's own proposal",
    "rebate:manage": "keep rebate programmes and distributors' targets; propose settlements",
    "rebate:read": "read rebate programmes, accruals, settlements and scorecards",
    "rebate:read-own": "read the rebate accruals, settlements and scorecard of one's own distributor (the portal),"
                       " without the programmes' terms for others",
    "diversion:read": "read diversion (窜货) alerts",
    "promotion:manage": "launch promotions (促销活动): a pricing rule with a budget",
    "diversion:resolve": "resolve a diversion alert, with a reason",
    # inventory
    "item:register": "register items and change their master data",
    "item:block": "block an item for sale, or lift the block",
    "item:read": "read the item catalogue",
    "supplier:manage": "register suppliers and record their qualifications",
    "supplier:read": "read suppliers",
    "stock:receive": "receive goods",
    "stock:read": "read stock, serials and near-expiry",
    "stock:move": "move, count and adjust stock",
    "stock:scan-expiry": "run the near-expiry scan",
    "kit:assemble": "assemble kits",
    "quality:inspect": "record incoming inspections",
    "quality:hold": "put lots on hold",
    "quality:release-hold": "release a quality hold",
    "fulfilment:read": "read an order's fulfilment and shipments",
    "fulfilment:pick": "confirm picks",
    "fulfilment:dispatch": "dispatch shipments and confirm delivery",
    "shipment:accept": "record a shipment's acceptance (验收) by its consignee",
    "return:record": "record a return",
    "return:read": "read returns",
    "wms:integrate": "report receipts, moves, picks and shipments from a warehouse system",
    "udi:parse": "parse a scanned UDI",
    # billing
    "invoice:read": "read invoices, credit notes, payments, customer accounts and statements",
    # analytics
    "analytics:read": "read sales figures and dashboards (a portal user: its own organisation's)",
    "inventory-health:read": "read inventory health: stock by status, near expiry, days of inventory, slow movers",
    "invoice:credit": "issue a credit note (红字) against an invoice",
    "payment:record": "record a payment received, or reverse one (bounced), with a reason",
    "payment:allocate": "allocate payments to invoices",
    "statement:issue": "issue a customer's statement (对账单) and resolve its disputed lines",
    "statement:answer": "confirm a statement or dispute its lines, for one's own organisation",
    "ledger:export": "export journal lines for the accounting system, and mark a period exported",
    "second-invoice:submit": "record a distributor's invoice to a hospital citing ours (两票制)",
    # traceability
    "recall:lookup": "find where lots and serials went",
    "recall:read": "read recall cases, their consignees and reports",
    "recall:manage": "open recalls, record notices and acknowledgements, propose scope reductions and closure",
    "recall:approve": "approve a recall's scope reduction or closure (four eyes)",
    "recall:read-notices": "read the recall notices addressed to one's own organisation",
    "recall:acknowledge-notice": "acknowledge, for one's own organisation, a recall notice it received",
    "adverse-event:report": "report an adverse event",
    "adverse-event:read": "read adverse events",
    "adverse-event:manage": "record a regulator submission, open a recall from an adverse event",
    "sellout:submit": "submit a distributor's sell-out (流向) report",
    "sellout:read": "read sell-out reports and lines",
    "sellout:review": "match a sell-out line's reported hospital name to a hospital (流向清洗 review queue)",
    # audit and operations
    "audit:read": "read any aggregate's history and past state, and the access log",
    "deadletter:skip": "propose skipping a dead-lettered event",
    "deadletter:approve": "approve skipping a dead-lettered event (four eyes)",
}

_READS = frozenset(p for p in PERMISSIONS if p.endswith(":read") or p in ("recall:lookup", "udi:parse"))
_MASTER_DATA = frozenset({"hospital:register", "hospital:read", "hospital:update", "distributor:register",
                          "distributor:read", "distributor:update", "item:register", "item:read", "item:block",
                          "supplier:manage", "supplier:read"})
_ORDER_DESK = frozenset({"order:place", "order:read", "order:hold", "credit:read", "quote:manage", "quote:read",
                         "contract:read", "hospital:read", "consignment:report-usage",
                         "distributor:read", "item:read", "stock:read",
                         "fulfilment:read", "shipment:accept", "return:read", "invoice:read", "price:read",
                         "udi:parse"})

ROLES: dict[str, frozenset[str]] = {
    "order_desk": _ORDER_DESK,
    "order_supervisor": _ORDER_DESK | {"order:release-manual-hold", "contract:manage", "analytics:read",
                                       "inventory-health:read"},
    "pricing_manager": frozenset({"analytics:read", "price:read", "price:manage", "price:approve", "promotion:manage", "item:read", "hospital:read",
                                  "distributor:read", "order:read", "quote:read", "contract:read"}),
    "channel_manager": _MASTER_DATA - {"supplier:manage"} | {"analytics:read", "inventory-health:read",
                                                            "distributor:authorize", "price:read", "rebate:settle",
                                                            "rebate:manage", "rebate:read", "rebate:read-own", "diversion:read",
                                                            "promotion:manage",
                                                            "diversion:resolve", "sellout:read", "sellout:review",
                                                            "sellout:submit", "order:read", "contract:read"},
    "master_data": _MASTER_DATA,
    "finance": frozenset({"analytics:read", "inventory-health:read", "invoice:read", "invoice:credit", "payment:record", "payment:allocate", "statement:issue",
                          "ledger:export", "second-invoice:submit", "rebate:settle", "rebate:read", "rebate:read-own",
                          "order:read", "contract:read",
                          "order:release-credit-hold", "credit:read", "credit:manage",
                          "hospital:read",
                          "distributor:read", "price:read", "item:read"}),
    "warehouse": frozenset({"inventory-health:read", "item:read", "supplier:read", "stock:receive", "stock:read", "stock:move",
                            "stock:scan-expiry", "kit:assemble", "fulfilment:read", "fulfilment:pick",
                            "fulfilment:dispatch", "shipment:accept", "return:record", "return:read",
                            "wms:integrate", "udi:parse", "consignment:report-usage"}),
    "quality": frozenset({"inventory-health:read", "quality:inspect", "quality:hold", "quality:release-hold", "supplier:manage", "order:read",
                          "item:block",
                          "order:hold", "order:release-compliance-hold",
                          "supplier:read", "item:read", "stock:read", "stock:scan-expiry", "return:read",
                          "adverse-event:report", "adverse-event:read", "adverse-event:manage", "recall:lookup",
                          "recall:read", "udi:parse"}),
    "recall_officer": frozenset({"recall:lookup", "recall:read", "recall:manage", "recall:approve",
                                 "adverse-event:report", "adverse-event:read", "adverse-event:manage", "hospital:read", "distributor:read",
                                 "item:read", "stock:read", "sellout:read", "return:read", "udi:parse"}),
    # Auditors read everything, unscoped, and change nothing.
    "auditor": _READS | {"audit:read", "rebate:read-own"},
    "ops": frozenset({"deadletter:skip", "deadletter:approve", "audit:read"}),
    "admin": frozenset(PERMISSIONS),
    # Portal users: always limited to the organisation their scope names (access.py), never company-wide.
    "distributor_user": frozenset({"analytics:read", "order:read", "quote:read", "contract:read", "fulfilment:read", "shipment:accept",
                                   "invoice:read", "statement:answer", "second-invoice:submit",
                                   "sellout:submit", "sellout:read", "distributor:read", "item:read",
                                   "recall:read-notices", "recall:acknowledge-notice", "rebate:read-own", "udi:parse"}),
    "hospital_user": frozenset({"analytics:read", "order:read", "quote:read", "contract:read", "fulfilment:read", "shipment:accept",
                                "invoice:read", "statement:answer", "hospital:read",
                                "item:read", "recall:read-notices", "recall:acknowledge-notice", "udi:parse"}),
    "wms_integration": frozenset({"wms:integrate", "item:read", "udi:parse"}),
}

# Roles whose holders see only what their scopes name: without a scope they see nothing, not everything.
PORTAL_ROLES = frozenset({"distributor_user", "hospital_user"})


def permissions_of(roles: list[str] | tuple[str, ...] | frozenset[str]) -> frozenset[str]:
    """What a set of roles may do; names that are not roles grant nothing."""
    granted: frozenset[str] = frozenset()
    for role in roles:
        granted |= ROLES.get(role, frozenset())
    return granted


def known_roles(names: list[str]) -> list[str]:
    """The names that are roles here, in order: what an identity provider's roles and groups map to."""
    return [name for name in names if name in ROLES]


def role_table() -> str:
    """The README's role table, made from ROLES (a test keeps the README's copy equal to it)."""
    rows = ["| role | permissions |", "| --- | --- |"]
    for role, granted in ROLES.items():
        shown = "every permission" if granted == frozenset(PERMISSIONS) else ", ".join(f"`{p}`" for p in sorted(granted))
        rows.append(f"| `{role}` | {shown} |")
    return "\n".join(rows)
