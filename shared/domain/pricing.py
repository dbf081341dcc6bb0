"""The pricing engine: one rulebook for every channel and hospital (统一的价格与信用规则库). Pure: no I/O. Shared: the
channel service keeps the rulebook, and the services that price lines (quotes, contracts, orders) apply it alike.

A line is priced in this order, and `explain` says every step:

1. **A mandatory tender price** (中选价 of volume-based procurement, VBP) for the customer's province or the named
   hospital, valid on the day, is the price. Nothing else applies: an award price is not discounted.
2. Else the **list price** of the GTIN on the day, from the price list.
3. **One pricing rule** applies to it: of the rules that match the line (customer, hospital grade, distributor tier,
   channel, province, city, GTIN or product group, quantity tier, validity), the one of highest priority wins.
   Discounts never add up or compound: the winner's effect is the price. Two rules of equal priority whose scopes
   overlap are refused when the second is saved (`conflicting_rule`), so the winner is never a tie.
4. **A floor** (a regional policy's minimum price, e.g. a province's 最低限价) raises the result to it. Floors are
   rules too (effect `minimum_price`) but never compete for step 3: every floor that matches the line is in force,
   the highest binds.
5. **A ceiling** (挂网价, the price listed on the provincial platform) caps the result: the platform's ceiling is the
   law, a floor is our policy, so where a floor is above the ceiling the ceiling wins (the explanation shows both).

A promotion may give **free goods** (买赠, effect `free_goods`, "N+M": of every N+M units on a line, M are free): the
line's amount is that of the units paid for, spread over all its units (国税函〔2008〕875号 allocates a 买赠 sale's
amount across the goods given), so the unit price falls and the explanation counts the free units. An order for
fewer than N+M units gets none free.

Prices here are per unit and tax-inclusive (含税, as Chinese B2B prices are quoted); `net_of` derives the net price
with the item's VAT rate (13% for devices unless the item says otherwise).
"""

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any, Literal

DEFAULT_VAT_RATE = Decimal("0.13")
UNIT_PRICE_PLACES = Decimal("0.0001")  # unit prices may carry 4 places; amounts are rounded to 2 elsewhere

Channel = Literal["direct", "distributor", "platform"]


def net_of(gross: Decimal, vat_rate: Decimal = DEFAULT_VAT_RATE) -> Decimal:
    """The net price of a tax-inclusive one."""
    return (gross / (1 + vat_rate)).quantize(UNIT_PRICE_PLACES, ROUND_HALF_UP)


def gross_of(net: Decimal, vat_rate: Decimal = DEFAULT_VAT_RATE) -> Decimal:
    return (net * (1 + vat_rate)).quantize(UNIT_PRICE_PLACES, ROUND_HALF_UP)


@dataclass(frozen=True)
class Line:
    """What is priced: who buys, through which channel, what, how many, on which day."""

    gtin: str
    quantity: int
    on: date
    customer_id: str | None = None  # a hospital or a distributor
    hospital_grade: str | None = None
    distributor_tier: str | None = None
    channel: Channel = "direct"
    province: str | None = None
    city: str | None = None
    product_groups: frozenset[str] = frozenset()


@dataclass(frozen=True)
class Validity:
    start: date
    end: date | None = None  # open-ended

    def covers(self, day: date) -> bool:
        return self.start <= day and (self.end is None or day <= self.end)

    def overlaps(self, other: "Validity") -> bool:
        return ((self.end is None or other.start <= self.end) and (other.end is None or self.start <= other.end))


@dataclass(frozen=True)
class Scope:
    """What a rule selects: each dimension is a set of accepted values, empty meaning any."""

    customers: frozenset[str] = frozenset()
    grades: frozenset[str] = frozenset()
    tiers: frozenset[str] = frozenset()
    channels: frozenset[str] = frozenset()
    provinces: frozenset[str] = frozenset()
    cities: frozenset[str] = frozenset()
    gtins: frozenset[str] = frozenset()
    groups: frozenset[str] = frozenset()
    min_quantity: int = 1
    max_quantity: int | None = None

    def mismatch(self, line: Line) -> str | None:
        """Why the line is outside this scope (the first dimension that refuses it), or None if it is inside."""
        for name, accepted, value in (("customer", self.customers, line.customer_id),
                                      ("hospital grade", self.grades, line.hospital_grade),
                                      ("distributor tier", self.tiers, line.distributor_tier),
                                      ("channel", self.channels, line.channel),
                                      ("province", self.provinces, line.province), ("city", self.cities, line.city)):
            if accepted and value not in accepted:
                return f"{name} {value} is not one of {sorted(accepted)}"
        if self.gtins or self.groups:
            if line.gtin not in self.gtins and not (self.groups & line.product_groups):
                return f"product {line.gtin} is neither among the rule's GTINs nor in its groups"
        if line.quantity < self.min_quantity or (self.max_quantity is not None and line.quantity > self.max_quantity):
            return f"quantity {line.quantity} is outside {self.min_quantity}..{self.max_quantity or '∞'}"
        return None

    def overlaps(self, other: "Scope") -> bool:
        """Whether some line could match both. Dimensions are judged apart (a rule for one customer and a rule for a
        grade overlap: that customer may have that grade), so this errs towards finding a conflict."""
        for mine, theirs in ((self.customers, other.customers), (self.grades, other.grades),
                             (self.tiers, other.tiers), (self.channels, other.channels),
                             (self.provinces, other.provinces), (self.cities, other.cities)):
            if mine and theirs and not mine & theirs:
                return False
        products_constrained = (self.gtins or self.groups) and (other.gtins or other.groups)
        # A GTIN of one and a group of the other may meet (the GTIN may be in the group); only GTIN sets, or only
        # group sets, on both sides can be told apart.
        if products_constrained and not (self.groups or other.groups) and not self.gtins & other.gtins:
            return False
        if products_constrained and not (self.gtins or other.gtins) and not self.groups & other.groups:
            return False
        high = min(q for q in (self.max_quantity, other.max_quantity, 10**12) if q is not None)
        return max(self.min_quantity, other.min_quantity) <= high


@dataclass(frozen=True)
class FixedPrice:
    price: Decimal

    def apply(self, list_price: Decimal | None, other_lists: "PriceLookup", line: Line) -> Decimal | None:
        return self.price


@dataclass(frozen=True)
class Discount:
    percent: Decimal  # 0 < percent < 100

    def apply(self, list_price: Decimal | None, other_lists: "PriceLookup", line: Line) -> Decimal | None:
        if list_price is None:
            return None
        return (list_price * (100 - self.percent) / 100).quantize(UNIT_PRICE_PLACES, ROUND_HALF_UP)


@dataclass(frozen=True)
class FromList:
    price_list_id: str

    def apply(self, list_price: Decimal | None, other_lists: "PriceLookup", line: Line) -> Decimal | None:
        return other_lists.price(self.price_list_id, line.gtin, line.on)


@dataclass(frozen=True)
class FreeGoods:
    """买赠: of every `buy` + `free` units, `free` are given."""

    buy: int
    free: int

    def free_units(self, quantity: int) -> int:
        return quantity // (self.buy + self.free) * self.free

    def apply(self, list_price: Decimal | None, other_lists: "PriceLookup", line: Line) -> Decimal | None:
        if list_price is None:
            return None
        paid = line.quantity - self.free_units(line.quantity)
        return (list_price * paid / line.quantity).quantize(UNIT_PRICE_PLACES, ROUND_HALF_UP)


@dataclass(frozen=True)
class MinimumPrice:
    """A floor (a regional policy's minimum price): not a price of its own, a bound on the line's."""

    price: Decimal

    def apply(self, list_price: Decimal | None, other_lists: "PriceLookup", line: Line) -> Decimal | None:
        return None  # never priced by: PricingEngine keeps floors apart from the rules that compete


Effect = FixedPrice | Discount | FromList | FreeGoods | MinimumPrice


def effect_of(kind: str, value: str) -> Effect:
    """The effect of a rule as saved (kind and value as text), or ValueError saying what is wrong with the value."""
    if kind == "price_list":
        return FromList(value)  # the list's id: the channel checks it names a list when the rule is saved
    if kind == "free_goods":
        buy, plus, free = value.partition("+")
        if not (plus and buy.isdigit() and free.isdigit() and 0 < int(buy) <= 100_000 and 0 < int(free) <= 100_000):
            raise ValueError("free goods are written N+M: of every N+M units, M are free (both positive)")
        return FreeGoods(int(buy), int(free))
    try:
        amount = Decimal(value)
    except InvalidOperation:
        raise ValueError(f"{value!r} is not a number") from None
    if not amount.is_finite():
        raise ValueError(f"{value!r} is not a finite number")
    if kind == "discount_percent":
        if not Decimal(0) < amount < Decimal(100):
            raise ValueError("a discount is between 0 and 100 percent, exclusive")
        return Discount(amount)
    if kind in ("fixed_price", "minimum_price"):
        if not (Decimal(0) < amount <= Decimal("9999999999.9999") and -amount.as_tuple().exponent <= 4):
            raise ValueError("a price is positive, with at most 4 decimal places")
        return FixedPrice(amount) if kind == "fixed_price" else MinimumPrice(amount)
    raise ValueError(f"no effect kind {kind}")


@dataclass(frozen=True)
class PricingRule:
    rule_id: str
    name: str
    priority: int
    scope: Scope
    validity: Validity
    effect: Effect

    def mismatch(self, line: Line) -> str | None:
        if not self.validity.covers(line.on):
            return f"not valid on {line.on}"
        return self.scope.mismatch(line)

    @property
    def is_floor(self) -> bool:
        return isinstance(self.effect, MinimumPrice)


def tie_broken(rule: "PricingRule") -> tuple[int, str]:
    """The order rules are tried in: highest priority first. Saving refuses two rules of one priority that could meet
    (conflicting_rule), judging an item to be in one product group, as the item master keeps it; a line priced with
    several groups (the price explanation route allows it) could still meet two, and the lower rule id then wins,
    the same every time."""
    return -rule.priority, rule.rule_id


def conflicting_rule(rule: PricingRule, existing: Iterable[PricingRule]) -> PricingRule | None:
    """The saved rule of the same priority whose scope and validity overlap the new one's, if any: saving would make
    the winner a tie, so the new rule is refused naming it."""
    if rule.is_floor:
        return None  # floors never compete: every one that matches is in force, the highest binds
    for other in existing:
        if (other.rule_id != rule.rule_id and not other.is_floor and other.priority == rule.priority
                and other.validity.overlaps(rule.validity) and other.scope.overlaps(rule.scope)):
            return other
    return None


@dataclass(frozen=True)
class TenderPrice:
    """A dated price for a province or named hospitals: a ceiling (挂网价) or the mandatory award price (中选价)."""

    gtin: str
    kind: Literal["ceiling", "award"]
    price: Decimal
    validity: Validity
    province: str | None = None
    hospitals: frozenset[str] = frozenset()
    reference: str = ""  # the platform's or the award's reference

    def applies_to(self, line: Line) -> bool:
        if self.gtin != line.gtin or not self.validity.covers(line.on):
            return False
        return line.customer_id in self.hospitals if self.hospitals else line.province == self.province


class PriceLookup:
    """List prices per price list, GTIN and day (the price lists' entries)."""

    def __init__(self, entries: Iterable[tuple[str, str, Validity, Decimal]] = ()) -> None:
        self._entries: dict[tuple[str, str], list[tuple[Validity, Decimal]]] = {}
        for price_list_id, gtin, validity, price in entries:
            self._entries.setdefault((price_list_id, gtin), []).append((validity, price))

    def price(self, price_list_id: str, gtin: str, on: date) -> Decimal | None:
        for validity, price in self._entries.get((price_list_id, gtin), ()):
            if validity.covers(on):
                return price
        return None


@dataclass(frozen=True)
class Considered:
    rule_id: str
    name: str
    priority: int
    matched: bool
    why_not: str | None = None


@dataclass(frozen=True)
class PriceExplanation:
    """How a line was priced: stored with every priced quote and order line."""

    price: Decimal | None
    source: Literal["award", "rule", "list", "none"]
    list_price: Decimal | None
    winner: str | None = None  # the rule id
    award: str | None = None  # the award's reference
    ceiling: Decimal | None = None
    capped: bool = False
    considered: list[Considered] = field(default_factory=list)
    floor: Decimal | None = None  # the highest minimum price in force on the line
    floor_rule: str | None = None
    floored: bool = False  # the price was raised to the floor
    free_units: int = 0  # of the line's units, how many its promotion gives (买赠)


class PricingEngine:
    """Prices lines against a rule set, finding a line's candidate rules through an index by product (GTIN, group,
    or any product) and scanning them from the highest priority down: the first that matches wins."""

    def __init__(self, rules: Iterable[PricingRule], tenders: Iterable[TenderPrice], lists: PriceLookup,
                 base_list: str) -> None:
        self.lists, self.base_list = lists, base_list
        every = sorted(rules, key=tie_broken)
        self.rules = [rule for rule in every if not rule.is_floor]
        self.floors = [rule for rule in every if rule.is_floor]
        self.by_gtin: dict[str, list[PricingRule]] = {}
        self.by_group: dict[str, list[PricingRule]] = {}
        self.any_product: list[PricingRule] = []
        for rule in self.rules:  # in priority order, so every bucket is too
            if not rule.scope.gtins and not rule.scope.groups:
                self.any_product.append(rule)
            for gtin in rule.scope.gtins:
                self.by_gtin.setdefault(gtin, []).append(rule)
            for group in rule.scope.groups:
                self.by_group.setdefault(group, []).append(rule)
        self.tenders: dict[str, list[TenderPrice]] = {}
        for tender in tenders:
            self.tenders.setdefault(tender.gtin, []).append(tender)

    def candidates(self, line: Line) -> list[PricingRule]:
        """The rules that could match the line, highest priority first, each once."""
        buckets = [self.by_gtin.get(line.gtin, []), self.any_product,
                   *(self.by_group.get(group, []) for group in line.product_groups)]
        seen: set[str] = set()
        merged = []
        for rule in sorted((r for bucket in buckets for r in bucket), key=tie_broken):
            if rule.rule_id not in seen:
                seen.add(rule.rule_id)
                merged.append(rule)
        return merged

    def price(self, line: Line, *, explain: bool = False, spent: frozenset[str] = frozenset()) -> PriceExplanation:
        """The line's price, explained when asked. `spent`: promotions whose budget is spent, passed over (each is
        listed as considered and not matched, saying so)."""
        tenders = [t for t in self.tenders.get(line.gtin, ()) if t.applies_to(line)]
        # A hospital's own award before its province's; of equals, the lowest (the buyer's protection).
        awards = sorted((t for t in tenders if t.kind == "award"), key=lambda t: (not t.hospitals, t.price))
        list_price = self.lists.price(self.base_list, line.gtin, line.on)
        if awards:
            return PriceExplanation(awards[0].price, "award", list_price, award=awards[0].reference)
        considered: list[Considered] = []
        winner = None
        for rule in self.candidates(line):
            why_not = "its promotion budget is spent" if rule.rule_id in spent else rule.mismatch(line)
            if explain:
                considered.append(Considered(rule.rule_id, rule.name, rule.priority, why_not is None, why_not))
            if why_not is None and winner is None:
                winner = rule  # the highest priority that matches; the rest are only listed, when explaining
                if not explain:
                    break
        price, source = list_price, "list" if list_price is not None else "none"
        if winner is not None and (ruled := winner.effect.apply(list_price, self.lists, line)) is not None:
            price, source = ruled, "rule"
        free_units = winner.effect.free_units(line.quantity) if source == "rule" and isinstance(
            winner.effect, FreeGoods) else 0  # type: ignore[union-attr]
        floors = [(r.effect.price, r.rule_id) for r in self.floors  # type: ignore[union-attr]
                  if r.mismatch(line) is None]
        floor, floor_rule = max(floors, key=lambda f: (f[0], f[1])) if floors else (None, None)
        floored = price is not None and floor is not None and price < floor
        if floored:
            price = floor
        ceilings = [t.price for t in tenders if t.kind == "ceiling"]
        ceiling = min(ceilings) if ceilings else None
        capped = price is not None and ceiling is not None and price > ceiling
        return PriceExplanation(ceiling if capped else price, source, list_price,
                                winner=winner.rule_id if winner and source == "rule" else None, ceiling=ceiling,
                                capped=capped, considered=considered, floor=floor, floor_rule=floor_rule,
                                floored=floored, free_units=free_units)


def _day(value: date | str | None) -> date | None:
    return date.fromisoformat(value) if isinstance(value, str) else value


def rule_of(saved: dict[str, Any]) -> PricingRule:
    """The engine's rule from a rule as recorded (plain values: lists for sets, the effect as kind and value, days
    as dates or ISO strings): the channel's rule book and the order service's copy of it read rules alike."""
    scope = saved["scope"]
    sets = {name: frozenset(str(v) for v in scope.get(name) or ()) for name in
            ("customers", "grades", "tiers", "channels", "provinces", "cities", "gtins", "groups")}
    effect = saved["effect"]
    return PricingRule(str(saved["rule_id"]), saved["name"], saved["priority"],
                       Scope(**sets, min_quantity=scope.get("min_quantity") or 1,
                             max_quantity=scope.get("max_quantity")),
                       Validity(_day(saved["valid_from"]), _day(saved["valid_to"])),  # type: ignore[arg-type]
                       effect_of(effect["kind"], str(effect["value"])))


def tender_of(saved: dict[str, Any]) -> TenderPrice:
    """The engine's tender price from one as recorded."""
    return TenderPrice(saved["gtin"], saved["kind"], Decimal(saved["price"]),
                       Validity(_day(saved["valid_from"]), _day(saved["valid_to"])),  # type: ignore[arg-type]
                       province=saved["province"], hospitals=frozenset(str(h) for h in saved["hospitals"]),
                       reference=saved["reference"])


def brute_force_winner(rules: Iterable[PricingRule], line: Line) -> PricingRule | None:
    """The winning rule by evaluating every rule: the baseline the engine is checked and measured against."""
    matching = [r for r in rules if not r.is_floor and r.mismatch(line) is None]
    return min(matching, key=tie_broken) if matching else None
