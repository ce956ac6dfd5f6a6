#!/usr/bin/env python3
"""What searching a chat's conversation costs: chat-completion latency through engram-prompt.

For every question of a LoCoMo conversation (categories 1-4, from the third on), a follow-up
chat: the two questions before it with their reference answers, then the question. Each
configuration has an engramd of its own over the same turns, so no query embedding is shared
through a daemon's cache, and the configurations take turns in a rotating order:
- `conversation`: engram-prompt as built, `chat.context_turns` 4 (the last message and the
  conversation searched concurrently, merged);
- `message alone`: the same, `chat.context_turns` 0;
- `baseline` (with `--baseline BINARY`): another engram-prompt build, `context_turns` 4.
The upstream is a stub that answers at once. Prints p50/p99 per configuration and p50 ratios.

Standard library only. Usage:
  chat_latency.py --engramd .build/release/engramd --engram-prompt .build/release/engram-prompt
                  --model DIR --data ../shared/datasets/locomo-dev [--conversation conv-41]
                  [--baseline BINARY]
"""
import argparse
import json
import os
import shutil
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from injection import PromptService, StubUpstream  # noqa: E402
from locomo import Daemon, store  # noqa: E402


def follow_ups(conversation):
    """The message lists: each question after the two before it and their answers."""
    questions = [q for q in conversation["qa"] if q.get("category") in (1, 2, 3, 4)]
    for index in range(2, len(questions)):
        messages = []
        for previous in questions[index - 2:index]:
            messages += [{"role": "user", "content": previous["question"]},
                         {"role": "assistant", "content": str(previous["answer"])}]
        yield messages + [{"role": "user", "content": questions[index]["question"]}]


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--engramd", required=True)
    parser.add_argument("--engram-prompt", required=True)
    parser.add_argument("--model", required=True)
    parser.add_argument("--data", required=True)
    parser.add_argument("--conversation", default="conv-41")
    parser.add_argument("--baseline", help="another engram-prompt build, with context_turns 4")
    args = parser.parse_args()

    conversation = json.load(open(os.path.join(args.data, f"{args.conversation}.json")))
    configurations = [("conversation", args.engram_prompt, "4"), ("message alone", args.engram_prompt, "0")]
    if args.baseline:
        configurations.append(("baseline", args.baseline, "4"))
    upstream = StubUpstream()
    running = {}
    work = tempfile.mkdtemp(prefix="engram-chat-latency-")
    try:
        for name, binary, turns in configurations:
            directory = tempfile.mkdtemp(dir=work)
            daemon = Daemon(args.engramd, args.model, directory)
            running[name] = (daemon, None)
            store(daemon, "c", conversation)
            service = PromptService(binary, daemon.socket, upstream.server_address[1], tempfile.mkdtemp(dir=directory),
                                    {"ENGRAM_PROMPT_CHAT_CONTEXT_TURNS": turns})
            running[name] = (daemon, service)
        names = list(running)
        times = {name: [] for name in names}
        for index, messages in enumerate(follow_ups(conversation)):
            for name in names[index % len(names):] + names[:index % len(names)]:
                start = time.perf_counter()
                running[name][1].injected("c", messages)
                times[name].append(time.perf_counter() - start)
        medians = {}
        for name in names:
            ordered = sorted(times[name])
            medians[name] = ordered[len(ordered) // 2]
            print(f"{name:14} n {len(ordered)}  p50 {1000 * medians[name]:.2f} ms  "
                  f"p99 {1000 * ordered[int(len(ordered) * 0.99)]:.2f} ms")
        print(f"p50 conversation / message alone: {medians['conversation'] / medians['message alone']:.2f}")
        if "baseline" in medians:
            print(f"p50 conversation / baseline: {medians['conversation'] / medians['baseline']:.2f}")
    finally:
        for daemon, service in running.values():
            if service is not None:
                service.stop()
            daemon.stop()
        upstream.shutdown()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
