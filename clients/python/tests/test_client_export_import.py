"""Export pages and import them back (entry ids are unique in the whole store, so an import
restores entries whose ids are free: here, after deleting their namespace)."""
from __future__ import annotations

from engramd_client import Client
from pyclient_helpers import fresh_name


def test_export_delete_and_import_again(client: Client, namespace: str) -> None:
    ids = [client.remember(namespace, f"exported fact {i}", tags=["x"]).entry.id for i in range(5)]
    client.edit(namespace, ids[0], text="exported fact zero, corrected")
    pages = list(client.iter_export(namespace, page_size=2))
    assert len(pages) == 3 and pages[-1].next_cursor is None
    entries = [entry for page in pages for entry in page.entries]
    assert [entry["id"] for entry in entries] == ids
    assert all(isinstance(entry["vector_b64"], str) for entry in entries)
    assert [c["text"] for c in entries[0]["rejected_claims"]] == ["exported fact 0"]

    elsewhere = client.import_entries(fresh_name("import"), entries[:1])
    assert elsewhere.results[0].status == "conflict" and elsewhere.results[0].message

    client.delete_namespace(namespace, confirm=True)
    target = namespace
    result = client.import_entries(target, entries)
    assert [(r.id, r.status) for r in result.results] == [(i, "created") for i in ids]
    assert result.sequence is not None
    assert [e.text for e in client.iter_memories(target)] == \
        ["exported fact zero, corrected"] + [f"exported fact {i}" for i in range(1, 5)]
    assert [c.text for c in client.rejected_claims(target, ids[0])] == ["exported fact 0"]
    hits = client.search(target, "exported fact 3", k=1)
    assert hits[0].entry.id == ids[3]

    again = client.import_entries(target, entries)
    assert {r.status for r in again.results} == {"unchanged"} and again.sequence is None


def test_orphaned_claims_travel_with_the_last_page(client: Client, namespace: str) -> None:
    kept = client.remember(namespace, "a fact that stays").entry
    gone = client.remember(namespace, "a fact that a person forgets").entry
    client.forget(namespace, gone.id)
    pages = list(client.iter_export(namespace))
    assert [e["id"] for page in pages for e in page.entries] == [kept.id]
    orphans = pages[-1].orphaned_claims
    assert [(c["entry_id"], c["text"], c["cause"]) for c in orphans] == [(gone.id, "a fact that a person forgets",
                                                                          "forgotten")]
    client.delete_namespace(namespace, confirm=True)
    target = namespace
    client.create_namespace(target)
    result = client.import_entries(target, pages[0].entries, claims=orphans)
    assert result.claims == 1
    assert [c.text for c in client.rejected_claims(target, gone.id)] == ["a fact that a person forgets"]
