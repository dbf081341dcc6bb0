"""The pipeline benchmark's arithmetic (bench/pipeline.py, bench/progress.py): what it reports must mean what
the README says it means."""

from bench.pipeline import percentile, server_side
from bench.progress import projected_events


def test_projected_events_count_what_every_consumer_of_a_topic_has_applied():
    counts = {"consumers": {
        # next offsets per (topic, partition): two consumers of order.events, one behind on partition 1
        "order/list": {("order.events", 0): 10, ("order.events", 1): 7},
        "billing/terms": {("order.events", 0): 10, ("order.events", 1): 4},
        "order/tracker": {("inventory.events", 0): 20},
    }}
    assert projected_events(counts) == (10 + 4) + 20


def test_percentiles_are_of_the_sorted_values_in_milliseconds():
    values = [i / 1000 for i in range(1, 101)]  # 1..100 ms
    assert percentile(values, 0.5) == 51.0
    assert percentile(values, 0.99) == 100.0
    assert percentile([], 0.5) is None


def test_server_side_quantiles_come_from_the_histogram_buckets_of_the_measured_window_only():
    before = {"place_order": {"0.1": 50, "0.5": 100, "+Inf": 100}}  # the warm-up: not measured
    after = {"place_order": {"0.1": 60, "0.5": 190, "+Inf": 200}}   # 10 under 100 ms, 80 under 500, 10 slower
    figures = server_side(before, after)["place_order"]
    assert figures["count"] == 100
    assert figures["p50_ms_at_most"] == 500.0
    assert figures["p99_ms_at_most"] == float("inf")
