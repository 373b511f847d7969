"""Identity from the environment, the fallback workload, and the rank filter."""

from __future__ import annotations

import pytest

from primus_lens_wandb_exporter.collect import identity


def test_identity_fields_and_node_rank_precedence() -> None:
    env = {
        "WORKLOAD_UID": "w1",
        "POD_UID": "p1",
        "POD_NAME": "pod-0",
        "POD_NAMESPACE": "ns",
        "RANK": "3",
        "LOCAL_RANK": "1",
        "WORLD_SIZE": "8",
        "SLURM_NODEID": "2",
        "PET_NODE_RANK": "5",
        "NODE_RANK": "6",
    }
    ident = identity.build(env)
    assert (ident.workload_uid, ident.pod_uid, ident.pod_name, ident.namespace) == ("w1", "p1", "pod-0", "ns")
    assert (ident.rank, ident.local_rank, ident.world_size, ident.node_rank) == (3, 1, 8, 2)
    assert identity.build({"PET_NODE_RANK": "5", "NODE_RANK": "6"}).node_rank == 5
    assert identity.build({"NODE_RANK": "6"}).node_rank == 6


def test_every_body_carries_the_identity_as_the_wire_format_lists_it() -> None:
    ident = identity.build({"WORKLOAD_UID": "w1", "POD_NAME": "pod-0", "RANK": "3"})
    fields = identity.wire_fields(ident, "9.9")
    assert list(fields) == [
        "source",
        "workload_uid",
        "pod_uid",
        "pod_name",
        "namespace",
        "rank",
        "local_rank",
        "world_size",
        "node_rank",
        "host",
        "pid",
        "exporter_version",
    ]
    assert (fields["source"], fields["workload_uid"], fields["rank"], fields["local_rank"]) == ("wandb", "w1", 3, None)
    assert (fields["pid"], fields["exporter_version"]) == (ident.pid, "9.9")


def test_bad_rank_values_become_none_instead_of_raising() -> None:
    ident = identity.build({"RANK": "", "LOCAL_RANK": "x", "WORLD_SIZE": " 4 "})
    assert (ident.rank, ident.local_rank, ident.world_size) == (None, None, 4)


def test_missing_workload_falls_back_to_pod_then_hostname() -> None:
    assert identity.fallback_workload(identity.build({"POD_NAME": "pod-7"})) == "pod:pod-7"
    assert identity.fallback_workload(identity.build({"HOSTNAME": "h-1"})) == "pod:h-1"
    ident = identity.build({})
    assert ident.pod_name == ident.host and identity.fallback_workload(ident) == "pod:" + ident.host


def test_workload_warning_is_printed_once(capsys: pytest.CaptureFixture) -> None:
    from primus_lens_wandb_exporter import output

    output._once_keys.discard("no-workload-uid")  # other tests in this process may have used it
    ident = identity.build({"POD_NAME": "pod-9"})
    identity.warn_if_no_workload(ident)
    identity.warn_if_no_workload(ident)
    err = capsys.readouterr().err
    assert err.count("WORKLOAD_UID not set") == 1 and "pod:pod-9" in err


@pytest.mark.parametrize(
    "spec,rank,local,selected",
    [
        ("all", 5, 1, True),
        ("", 5, 1, True),
        ("0", 0, 0, True),
        ("0", 1, 1, False),
        ("0,8", 8, 0, True),
        ("0,8", 4, 0, False),
        ("local0", 9, 0, True),
        ("local0", 9, 1, False),
        ("0", None, None, True),
        ("junk", 3, 3, True),
        ("1,local0", 4, 0, True),
    ],
)
def test_rank_filter(spec: str, rank: object, local: object, selected: bool) -> None:
    env = {}
    if rank is not None:
        env["RANK"] = str(rank)
    if local is not None:
        env["LOCAL_RANK"] = str(local)
    assert identity.rank_selected(identity.build(env), spec) is selected
