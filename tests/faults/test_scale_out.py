"""Scale-out on Kafka: two worker processes of one service share its consumer groups, Kafka splits the partitions
between them, and when one is SIGKILLed its partitions move to the other, which goes on from the positions stored
in PostgreSQL: every event applied exactly once, and the read models equal a rebuild from the topics.

The channel service runs with its API, its relay and two workers (`worker` and `worker.2`, shared/platform/stack.py),
as two replicas of its worker Deployment would. Hospitals are registered through the API while, each round, one
worker is killed (the two in turn) and started again. What each group looks like is read from Kafka itself
(DescribeGroups): every member's client id names its process (`<group>@<host>/<pid>`, shared/platform/kafka.py).
The channel directory counts hospitals per province by incrementing: an event applied twice, or lost, shows there.
"""

import asyncio
import time

import psycopg
from aiokafka.admin import AIOKafkaAdminClient
from aiokafka.coordinator.protocol import ConsumerProtocolMemberAssignment
from psycopg import sql

from bench.progress import wait_until_drained
from shared.platform.registry import definition
from shared.platform.stack import replica
from tests.faults.system import client, dead_letters, differences_from_rebuilds

SERVICE = "channel"
WORKERS = ("worker", replica("worker", 2))
CLIENTS = 2  # hospitals registered at once, each client one after the other
PROVINCES = ("上海市", "北京市", "广东省", "四川省", "浙江省", "江苏省")

Assignment = dict[str, set[tuple[str, int]]]  # the pid a member runs in -> its partitions


def groups(settings) -> list[str]:  # noqa: ANN001
    service = definition(SERVICE)
    return [f"{settings.namespace}{h.name}" for h in (*service.projections, *service.process_managers)]


async def describe(settings, group_ids: list[str]) -> dict[str, tuple[str, Assignment]]:  # noqa: ANN001
    """Kafka's view of each group: its state, and for each member (by the pid in its client id) its partitions."""
    admin = AIOKafkaAdminClient(bootstrap_servers=settings.kafka_bootstrap_servers)
    await admin.start()
    try:
        described = {}
        for group_id in group_ids:
            [response] = await admin.describe_consumer_groups([group_id])
            group = response.to_object()["groups"][0]
            members: Assignment = {}
            for member in group["members"]:
                pid = member["client_id"].rsplit("/", 1)[-1]
                raw = member["member_assignment"]
                partitions = ConsumerProtocolMemberAssignment.decode(raw).partitions() if raw else []
                members.setdefault(pid, set()).update((tp.topic, tp.partition) for tp in partitions)
            described[group_id] = (group["state"], members)
        return described
    finally:
        await admin.close()


async def wait_for_assignment(settings, pids: set[str], timeout: float) -> dict[str, Assignment]:  # noqa: ANN001
    """Until every group of the service is Stable with exactly these processes as members, each holding some
    partitions; then {group: {pid: partitions}}."""
    deadline = time.monotonic() + timeout
    while True:
        described = await describe(settings, groups(settings))
        if all(state == "Stable" and set(members) == pids and all(members.values())
               for state, members in described.values()):
            return {group: members for group, (_, members) in described.items()}
        if time.monotonic() > deadline:
            raise TimeoutError(f"the groups did not settle on {sorted(pids)} within {timeout}s: {described}")
        await asyncio.sleep(0.3)


def split_between(assignment: dict[str, Assignment], pids: set[str], partitions_of: dict[str, int]) -> None:
    """Each group's partitions are all held, by the given processes, none by two of them."""
    for group, members in assignment.items():
        held = [tp for partitions in members.values() for tp in partitions]
        assert len(held) == len(set(held)), f"{group}: a partition held twice: {members}"
        topics = {topic for topic, _ in held}
        assert set(held) == {(t, p) for t in topics for p in range(partitions_of[t])}, f"{group}: {members}"
        assert set(members) == pids, f"{group}: members {sorted(members)}, expected {sorted(pids)}"


def directory(settings) -> tuple[set[str], int, dict[tuple[str, int], int]]:  # noqa: ANN001
    """The hospitals listed, the sum of the per-province counters, and channel-directory's stored offsets."""
    schema = sql.Identifier(settings.schema_for(SERVICE))
    with psycopg.connect(settings.database_url) as conn:
        try:
            listed = {str(r[0]) for r in conn.execute(sql.SQL("SELECT hospital_id FROM {}.hospitals").format(schema))}
            counted = conn.execute(sql.SQL("SELECT coalesce(sum(hospitals), 0) FROM {}.province_counts")
                                   .format(schema)).fetchone()[0]
            offsets = {(t, p): o for t, p, o in conn.execute(sql.SQL(
                "SELECT topic, partition, kafka_offset FROM {}.consumer_positions WHERE consumer = 'channel-directory'")
                .format(schema))}
        except psycopg.errors.UndefinedTable:
            return set(), 0, {}
    return listed, counted, offsets


def test_two_workers_split_the_partitions_and_a_killed_ones_move_to_the_other(shared_settings, system, rounds):
    started = time.monotonic()
    settings = shared_settings
    for role in ("web", "relay", *WORKERS):
        system.start(SERVICE, role)
    system.wait_until_ready(services=[SERVICE])
    partitions_of = {settings.topic_for(s): settings.topic_partitions
                     for s in {s for h in (*definition(SERVICE).projections, *definition(SERVICE).process_managers)
                               for s in h.subscribes_to}}
    registered: list[str] = []
    rounds_seen: list[dict] = []

    def pids() -> dict[str, str]:
        return {role: str(system.processes[(SERVICE, role)].pid) for role in WORKERS}

    async def register(stop: asyncio.Event, n: int) -> None:
        async with client() as http:
            k = 0
            while not stop.is_set():
                key = f"scale-out-{n}-{k}"
                body = {"name": f"Scale-out hospital {n}-{k}", "province": PROVINCES[(n + k) % len(PROVINCES)],
                        "city": "市辖区", "grade": "3A"}
                for _attempt in range(5):  # the API is never killed here; a retry keeps its Idempotency-Key
                    response = await http.post(f"{system.url(SERVICE)}/hospitals", json=body,
                                               headers={"Idempotency-Key": key})
                    if response.status_code in (200, 201):
                        registered.append(response.json()["hospital_id"])
                        break
                    await asyncio.sleep(0.2)
                else:
                    raise AssertionError(f"registering {key}: {response.status_code} {response.text[:300]}")
                k += 1

    async def scenario() -> None:
        both = set(pids().values())
        first = await wait_for_assignment(settings, both, timeout=60)
        split_between(first, both, partitions_of)
        rounds_seen.append({"split": {g.removeprefix(settings.namespace): {pid: sorted(p) for pid, p in m.items()}
                                      for g, m in first.items()}})
        stop = asyncio.Event()
        clients = [asyncio.create_task(register(stop, n)) for n in range(CLIENTS)]
        try:
            for n in range(rounds):
                await asyncio.sleep(1.5)  # events flowing to both
                victim, survivor = WORKERS[n % 2], WORKERS[(n + 1) % 2]
                before = await wait_for_assignment(settings, set(pids().values()), timeout=60)
                victim_pid, survivor_pid = pids()[victim], pids()[survivor]
                victims_partitions = {g: m[victim_pid] for g, m in before.items()}
                registered_at_kill = len(registered)
                system.kill(SERVICE, victim)
                killed = time.monotonic()
                _, _, offsets_at_kill = await asyncio.to_thread(directory, settings)
                after = await wait_for_assignment(settings, {survivor_pid}, timeout=60)
                moved_after = time.monotonic() - killed
                split_between(after, {survivor_pid}, partitions_of)
                for group, partitions in victims_partitions.items():
                    assert partitions <= after[group][survivor_pid], f"{group}: {partitions} did not move"
                await asyncio.sleep(1.5)  # the survivor applies events on the partitions it took over
                _, _, offsets_now = await asyncio.to_thread(directory, settings)
                directory_group = f"{settings.namespace}channel-directory"
                taken_over = sorted(victims_partitions[directory_group])
                assert any(offsets_now.get(tp, -1) > offsets_at_kill.get(tp, -1) for tp in taken_over), (
                    f"no event applied on {taken_over} since the kill: {offsets_at_kill} -> {offsets_now}")
                rounds_seen.append({"killed": victim, "pid": victim_pid, "survivor": survivor,
                                    "registered_at_kill": registered_at_kill,
                                    "moved_after_s": round(moved_after, 1),
                                    "directory_partitions_moved": taken_over})
                system.start(SERVICE, victim)  # back as a new process: the groups rebalance to two again
                await wait_for_assignment(settings, set(pids().values()), timeout=60)
            await asyncio.sleep(1)
        finally:
            stop.set()
            await asyncio.gather(*clients)
        await wait_until_drained(settings, None, timeout=60)

    asyncio.run(scenario())
    system.check_alive()
    listed, counted, _ = directory(settings)
    assert len(registered) == len(set(registered)) and len(registered) > 50 * rounds, len(registered)
    # Exactly once: every hospital registered is listed, and the counters (incremented per event) add up to them.
    assert listed == set(registered), (len(listed), len(registered))
    assert counted == len(registered)
    assert dead_letters(settings) == 0
    rebuilt_at = time.monotonic()
    assert asyncio.run(differences_from_rebuilds(settings, services=(SERVICE,))) == {}
    print(f"{len(registered)} hospitals registered with {rounds} worker kill(s); {rounds_seen[1:]};"
          f" first split {rounds_seen[0]['split']['channel-directory']};"
          f" rebuilds {time.monotonic() - rebuilt_at:.0f}s; {time.monotonic() - started:.0f}s in all")
