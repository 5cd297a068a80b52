"""Spike-detector rules at their edges (each one found missing by a planted
bug in bench/mutants.py)."""

from datetime import timedelta

from warroom.listening.spikes import Params, SpikeDetector

from .test_spikes import DAY5, START, alarms, replay, series


def test_a_storm_longer_than_the_refractory_time_pages_once():
    # 9 hours at ten times the volume: after the 6-hour refractory time the
    # residual is still far from normal, so the detector stays disarmed
    values = series(10 * DAY5, lambda t: 50, seed=3)
    first = 8 * DAY5
    for i in range(first, first + 108):
        values[i] = 500
    _, out = replay(values)
    assert alarms(out) == [first]


def test_the_residual_tests_wait_for_their_warm_up_but_a_count_storm_does_not():
    # Rule changed (issue 16): the count tests page from the second bucket; the
    # residual tests still need a learned scale and wait for warmup_minutes.
    _, out = replay([10] * 12 + [1000])  # an hour of history, then a hundredfold burst
    assert alarms(out) == [12] and out[12].p_value < 1e-6
    no_counts = SpikeDetector({"normal_per_hour": 120, "min_storm_posts": 1e9})
    _, out = replay([10] * 12 + [1000], det=no_counts)
    assert alarms(out) == []
    assert out[-1].score > 0.5  # surprising to the residual tests; they just do not page yet


def test_the_adaptive_thresholds_never_drop_below_their_floors_on_a_calm_series():
    det = SpikeDetector()
    out = [det.update(START + timedelta(hours=i), 50) for i in range(24 * 60)]
    assert min(d.threshold for d in out) >= Params().threshold
    assert min(d.cusum_threshold for d in out) >= Params().cusum_threshold


def test_a_run_of_surprising_buckets_counts_once_for_the_burst_rate_test():
    det = SpikeDetector()
    for i in range(DAY5):
        det.update(START + timedelta(minutes=5 * i), 50)
    run = [det.update(START + timedelta(minutes=5 * (DAY5 + k)), 117) for k in range(4)]
    assert all(3.0 < d.z < 6.0 for d in run) and not any(d.alarm for d in run)
    # one run, one surprise: the later buckets of the run add nothing
    assert run[-1].burst <= run[0].burst


def test_the_workload_floor_is_an_hour_of_posts_not_a_thread_in_15_minutes():
    # A quiet brand (a post every couple of hours) for two days, then one
    # conversation thread: 8 posts in 15 minutes, nothing else that hour. It is
    # significant and 5x normal, but not a crisis-sized hour: no page.
    quiet = [1 if i % 24 == 0 else 0 for i in range(2 * DAY5)]
    thread = quiet + [3, 3, 2] + [0] * 9
    _, out = replay(thread)
    assert alarms(out) == []
    assert sum(thread[-12:]) < Params().min_storm_posts
    # The same brand's storm: 25 posts within an hour pages, within the hour.
    storm = quiet + [3, 3, 2, 3, 3, 3, 2, 2, 2, 2]
    _, out = replay(storm)
    assert alarms(out) and 2 * DAY5 <= alarms(out)[0] < len(storm)
    assert out[alarms(out)[0]].kind == "volume"


def test_a_version_3_state_keeps_its_floor_as_an_hours_posts():
    det = SpikeDetector({"min_storm_posts": 5})
    det.update(START, 0)
    state = det.to_state()
    state["version"] = 3  # min_storm_posts then counted 15 minutes' posts
    assert SpikeDetector.from_state(state).params.min_storm_posts == 20


def test_the_sensitivity_in_plain_words_follows_the_params_the_detector_runs_with():
    from warroom.listening.spikes import sensitivity

    assert sensitivity(Params()) == (
        "Pages when posts reach 5x normal (learned from the stream) and at least 20 in an hour (or 15 minutes"
        " show that rate with 90% confidence), or when the"
        " negative share rises 20 points (at least 10 negative posts in an hour); expect about one false page"
        " every 5 days.")
    words = sensitivity(SpikeDetector({"normal_per_hour": 150, "min_storm_posts": 40,
                                       "false_alarms_per_day": 2}).params)
    assert "(stated: 150 an hour, then learned)" in words and "at least 40 in an hour" in words
    assert words.endswith("expect about 2 false pages a day.")


def test_a_sudden_storm_pages_once_its_quarter_hour_proves_a_crisis_sized_rate():
    # The quiet brand above, then a sudden storm of 3-4 posts every 5 minutes.
    # After 3 buckets (10 posts in 15 minutes) the 90% lower bound of the rate
    # behind that count is above 20 an hour (P(X >= 10 | 5) = 0.03 <= 0.1):
    # it pages then, not only once 20 posts have arrived (6 buckets).
    quiet = [1 if i % 24 == 0 else 0 for i in range(2 * DAY5)]
    storm = quiet + [4, 3, 3, 4, 3, 3, 4, 3]
    _, out = replay(storm)
    assert alarms(out) == [2 * DAY5 + 2]
    assert sum(storm[2 * DAY5:2 * DAY5 + 3]) == 10 < Params().min_storm_posts


def test_the_quarter_hour_bound_is_widened_by_the_streams_clustering():
    from warroom.listening.surge import Onset

    onset = Onset(Params())
    for i in range(3):
        onset.push(float(i * 5), 10 / 3, 0, 1.0)
    assert onset.window15() == 10 and onset.hour() < 20
    assert onset.storm_sized(covered=600)  # Poisson: 10 posts prove 20 an hour at 90%
    onset.disp[0] = [3.0, 1.0]  # the stream's posts come in clusters of about 3
    assert onset.phi(0) == 3.0 and not onset.storm_sized(covered=600)
    for i in range(3, 6):  # ...and then an hour that holds 20 posts pages whatever the clustering
        onset.push(float(i * 5), 10 / 3, 0, 1.0)
    assert onset.hour() >= 20 and onset.storm_sized(covered=600)
