"""AsyncClient: a representative subset, each test one asyncio.run."""
from __future__ import annotations

import asyncio
import os

import numpy as np
import pytest

from engramd_client import AsyncClient, NamespaceNotFound, NotFound, Unavailable
from pyclient_helpers import ACTOR, fresh_name


def test_async_round_trip(engramd: object) -> None:
    socket = getattr(engramd, "socket")

    async def scenario() -> None:
        async with AsyncClient(socket, actor=ACTOR, timeout=120) as engram:
            assert (await engram.health()).status == "ok"
            name = fresh_name("async")
            assert (await engram.create_namespace(name)).name == name
            assert name in [ns.name for ns in await engram.list_namespaces()]
            ids = [(await engram.remember(name, f"async note {i}", tags=["async"])).entry.id for i in range(5)]
            refund = await engram.remember(name, "Refunds are processed within 5 business days")
            hits = await engram.search(name, "how long does a refund take?", k=2)
            assert hits[0].entry.id == refund.entry.id

            assert [e.id async for e in engram.iter_memories(name, page_size=2)] == ids + [refund.entry.id]
            assert [e.id async for e in engram.iter_memories(name, tags=["async"], page_size=4)] == ids

            useful = await engram.feedback(name, refund.entry.id, "useful")
            assert useful.entry.confidence > refund.entry.confidence
            edited = await engram.edit(name, refund.entry.id, text="Refunds take up to 7 business days")
            assert edited.entry.version == useful.entry.version + 1
            kinds = [event.kind async for event in engram.iter_history(name, refund.entry.id, page_size=1)]
            assert kinds == ["created", "feedback", "updated"]
            assert [c.cause for c in await engram.rejected_claims(name, refund.entry.id)] == ["corrected"]
            audited = [e.entry_id async for e in engram.iter_audit(namespace=name, kinds=["feedback"])]
            assert audited == [refund.entry.id]

            learned = await engram.learn(name, "The library closes at 8 pm")
            assert learned.action == "created"
            embeddings = await engram.embed(["one", "two"])
            assert embeddings.array().shape == (2, 384)
            by_vector = await engram.search(name, vector=np.asarray(embeddings.vectors[0]), k=1)
            assert len(by_vector) == 1

            await engram.forget(name, ids[0])
            with pytest.raises(NotFound):
                await engram.get(name, ids[0])
            assert (await engram.restore(name, ids[0])).entry.text == "async note 0"
            assert (await engram.get(name, ids[0])).text == "async note 0"
            assert [i.entry.id async for i in engram.iter_review(name)] == []
            assert len([p async for p in engram.iter_export(name, page_size=4)]) == 2

            assert (await engram.delete_namespace(name, confirm=True)).deleted == name
            with pytest.raises(NamespaceNotFound) as gone:
                await engram.get_namespace(name)
            assert gone.value.code == "namespace_not_found"

    asyncio.run(scenario())


def test_async_missing_socket_is_unavailable(tmp_path: object) -> None:
    path = os.path.join(str(tmp_path), "absent.sock")

    async def scenario() -> None:
        async with AsyncClient(path) as engram:
            with pytest.raises(Unavailable) as error:
                await engram.health()
            assert path in str(error.value) and error.value.code == "unavailable"

    asyncio.run(scenario())
