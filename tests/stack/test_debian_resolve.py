"""The dependency resolver's rules, on small hand-written Packages indexes."""

from __future__ import annotations

import pytest

from builder.errors import StackError
from builder.stack.debian import PackageIndex, Relation, resolve


def para(name: str, version: str = "1", **fields: str) -> str:
    lines = [
        f"Package: {name}",
        f"Version: {version}",
        "Architecture: amd64",
        f"Filename: pool/main/{name}_{version}_amd64.deb",
        "Size: 100",
        "SHA256: " + "ab" * 32,
    ]
    lines += [f"{key.replace('_', '-')}: {value}" for key, value in fields.items()]
    return "\n".join(lines) + "\n"


def index(*paragraphs: str) -> PackageIndex:
    return PackageIndex.parse("\n".join(paragraphs))


def names(idx: PackageIndex, wanted: list[str], exclude: tuple[str, ...] = ()) -> list[str]:
    return [p.name for p in resolve(idx, wanted, exclude)]


def test_alternative_already_selected_is_preferred() -> None:
    idx = index(para("app", Depends="a | b, c"), para("a"), para("b"), para("c", Depends="b"))
    assert names(idx, ["app"]) == ["app", "b", "c"]


def test_first_existing_alternative_wins() -> None:
    idx = index(para("app", Depends="missing | b | a"), para("a"), para("b"))
    assert names(idx, ["app"]) == ["app", "b"]


def test_version_constraints_pick_a_matching_version() -> None:
    idx = index(
        para("new", Depends="lib (>= 2)"), para("old", Depends="lib (<< 2)"), para("lib", "1"), para("lib", "2")
    )
    assert [(p.name, p.version) for p in resolve(idx, ["new"])] == [("lib", "2"), ("new", "1")]
    assert [(p.name, p.version) for p in resolve(idx, ["old"])] == [("lib", "1"), ("old", "1")]
    with pytest.raises(StackError, match="already chosen"):
        resolve(idx, ["new", "old"])


def test_unsatisfiable_dependency_names_the_chain() -> None:
    idx = index(para("app", Depends="lib (>= 3)"), para("lib", "2"))
    with pytest.raises(StackError, match=r"'app' depends on 'lib \(>= 3\)'"):
        resolve(idx, ["app"], where="trixie/main (amd64)")


def test_versioned_dependency_needs_a_versioned_provides() -> None:
    idx = index(
        para("app", Depends="virt (>= 3)"),
        para("loose", Provides="virt"),
        para("exact", Provides="virt (= 3)"),
    )
    assert names(idx, ["app"]) == ["app", "exact"]


def test_real_package_beats_a_provider() -> None:
    idx = index(para("app", Depends="awk"), para("awk"), para("mawk", Provides="awk", Priority="required"))
    assert names(idx, ["app"]) == ["app", "awk"]


def test_provider_by_priority_then_name() -> None:
    idx = index(
        para("app", Depends="awk"),
        para("gawk", Provides="awk", Priority="optional"),
        para("mawk", Provides="awk", Priority="required"),
        para("busybox", Provides="awk", Priority="optional"),
    )
    assert names(idx, ["app"]) == ["app", "mawk"]
    assert names(idx, ["awk"]) == ["mawk"]


def test_provider_already_selected_is_reused() -> None:
    idx = index(
        para("app", Depends="awk, gawk"),
        para("gawk", Provides="awk"),
        para("mawk", Provides="awk", Priority="required"),
    )
    assert names(idx, ["app"]) == ["app", "gawk"]
    assert names(idx, ["awk", "gawk"]) == ["gawk"]


def test_arch_qualifiers() -> None:
    idx = index(
        para("app", Depends="python3:any, libx:amd64"), para("python3"), para("libx"), para("bad", Depends="libx:i386")
    )
    assert names(idx, ["app"]) == ["app", "libx", "python3"]
    with pytest.raises(StackError, match="libx:i386"):
        resolve(idx, ["bad"])


def test_pre_depends_and_cycles_are_followed() -> None:
    idx = index(para("a", Pre_Depends="b"), para("b", Depends="a, c"), para("c"))
    assert names(idx, ["a"]) == ["a", "b", "c"]


def test_exclude_counts_as_installed() -> None:
    idx = index(
        para("tzdata", Depends="debconf (>= 0.5) | debconf-2.0"),
        para("debconf", Provides="debconf-2.0", Depends="perl-base"),
        para("cdebconf", Provides="debconf-2.0"),
        para("perl-base"),
    )
    assert names(idx, ["tzdata"]) == ["debconf", "perl-base", "tzdata"]
    assert names(idx, ["tzdata"], exclude=("debconf",)) == ["tzdata"]
    assert names(idx, ["tzdata"], exclude=("cdebconf",)) == ["tzdata"]  # its Provides count
    assert names(idx, ["tzdata", "debconf"], exclude=("debconf",)) == ["tzdata"]


def test_result_does_not_depend_on_input_order() -> None:
    idx = index(para("x", Depends="p | q"), para("y", Depends="q | p"), para("p"), para("q"))
    assert names(idx, ["x", "y"]) == names(idx, ["y", "x"]) == ["p", "x", "y"]


def test_unknown_name_suggests_close_ones() -> None:
    idx = index(para("libssl3t64"), para("zlib1g"))
    with pytest.raises(StackError, match="'libssl3t46' is not in trixie") as caught:
        resolve(idx, ["libssl3t46"], where="trixie/main (amd64)")
    assert "libssl3t64" in caught.value.hint


def test_malformed_entry_is_a_stack_error() -> None:
    idx = PackageIndex.parse(para("app").replace("ab" * 32, "not-a-digest"))
    with pytest.raises(StackError, match="'app' is malformed"):
        resolve(idx, ["app"])


def test_package_fields_are_parsed() -> None:
    idx = index(
        para(
            "libc6",
            "2.41-12",
            Depends="libgcc-s1",
            Pre_Depends="x (>= 1) | y",
            Provides="libc (= 2.41-12)",
            Essential="yes",
            Priority="required",
            Multi_Arch="same",
            Installed_Size="13223",
            Source="glibc (2.41-11)",
        )
    )
    pkg = idx.get("libc6")
    assert pkg is not None
    assert pkg.depends == ((Relation("libgcc-s1"),),)
    assert pkg.pre_depends == ((Relation("x", op=">=", version="1"), Relation("y")),)
    assert pkg.provides == (Relation("libc", op="=", version="2.41-12"),)
    assert (pkg.essential, pkg.priority, pkg.multi_arch, pkg.installed_size) == (True, "required", "same", 13223)
    assert (pkg.source, pkg.source_version) == ("glibc", "2.41-11")
    assert str(pkg.pre_depends[0][0]) == "x (>= 1)"


@pytest.mark.parametrize(
    ("relation", "version", "ok"),
    [
        (Relation("x", op=">=", version="2.0"), "1:1.0", True),  # epoch wins
        (Relation("x", op="<<", version="3.5.9-1"), "3.5.9-1~deb13u1", True),  # tilde sorts first
        (Relation("x", op="=", version="1.0"), "1.0", True),
        (Relation("x", op=">>", version="1.0"), "1.0", False),
        (Relation("x", op=">=", version="1.0"), None, False),  # unversioned Provides
        (Relation("x"), None, True),
    ],
)
def test_relation_allows(relation: Relation, version: str | None, ok: bool) -> None:
    assert relation.allows(version) is ok
