"""Google's Pub/Sub client for Python (google-cloud-pubsub) against the
Lockstep Pub/Sub emulator, found through PUBSUB_EMULATOR_HOST, as an MDM
consumes AMAPI notifications by pull.

    pubsub_pull.py setup   TOPIC SUB...        create the topic and pull subscriptions
    pubsub_pull.py pull    SUB N               unary Pull until N messages; let one lapse; ack
    pubsub_pull.py stream  SUB N               streaming pull until N distinct messages, nacking the first once

Each prints one JSON line; the Rust test checks it. Any failure raises.
"""

import json
import os
import sys
import threading
import time

from google.cloud import pubsub_v1

assert os.environ.get("PUBSUB_EMULATOR_HOST"), "PUBSUB_EMULATOR_HOST must name the emulator"

DEADLINE = time.monotonic() + 60


def left():
    return max(0.0, DEADLINE - time.monotonic())


def describe(message):
    data = json.loads(message.data.decode("utf-8"))
    return {
        "messageId": message.message_id,
        "type": message.attributes.get("notificationType"),
        "name": data.get("name"),
        "publishTime": message.publish_time.isoformat() if hasattr(message.publish_time, "isoformat") else str(message.publish_time),
    }


def setup(topic, subs):
    publisher = pubsub_v1.PublisherClient()
    subscriber = pubsub_v1.SubscriberClient()
    created = publisher.create_topic(name=topic)
    assert created.name == topic, created
    out = []
    for sub in subs:
        s = subscriber.create_subscription(request={"name": sub, "topic": topic, "ack_deadline_seconds": 10})
        assert s.name == sub and s.topic == topic and s.ack_deadline_seconds == 10, s
        got = subscriber.get_subscription(request={"subscription": sub})
        assert got.name == sub, got
        out.append(s.name)
    print(json.dumps({"topic": created.name, "subscriptions": out}))


def pull(sub, n):
    subscriber = pubsub_v1.SubscriberClient()
    received = []
    while len(received) < n and left() > 0:
        response = subscriber.pull(request={"subscription": sub, "max_messages": 10}, timeout=30)
        received.extend(response.received_messages)
    assert len(received) == n, f"pulled {len(received)} of {n}"
    # Keep the last one leased for only 1 s and do not ack it: it must come
    # back, same messageId, new ackId.
    lapsed = received[-1]
    subscriber.acknowledge(request={"subscription": sub, "ack_ids": [r.ack_id for r in received[:-1]]})
    subscriber.modify_ack_deadline(request={"subscription": sub, "ack_ids": [lapsed.ack_id], "ack_deadline_seconds": 1})
    again = []
    while not again and left() > 0:
        again = subscriber.pull(request={"subscription": sub, "max_messages": 10}, timeout=30).received_messages
    assert len(again) == 1, [m.message.message_id for m in again]
    redelivered = again[0]
    assert redelivered.message.message_id == lapsed.message.message_id
    assert redelivered.ack_id != lapsed.ack_id
    subscriber.acknowledge(request={"subscription": sub, "ack_ids": [redelivered.ack_id]})
    # Everything is acknowledged: nothing is left to pull.
    rest = subscriber.pull(request={"subscription": sub, "max_messages": 10, "return_immediately": True}, timeout=30)
    assert not rest.received_messages, rest
    print(json.dumps({
        "messages": [describe(r.message) for r in received],
        "redelivered": redelivered.message.message_id,
    }))


def stream(sub, n):
    subscriber = pubsub_v1.SubscriberClient()
    lock = threading.Lock()
    seen = {}
    order = []
    done = threading.Event()

    def callback(message):
        with lock:
            count = seen.get(message.message_id, 0) + 1
            seen[message.message_id] = count
            if count == 1:
                order.append(describe(message))
            first_ever = len(order) == 1 and count == 1
        if first_ever:
            message.nack()  # redelivered at once
            return
        message.ack()
        with lock:
            if len(order) >= n and all(c >= 1 for c in seen.values()) and seen[order[0]["messageId"]] >= 2:
                done.set()

    future = subscriber.subscribe(sub, callback=callback, flow_control=pubsub_v1.types.FlowControl(max_messages=10))
    ok = done.wait(timeout=left())
    future.cancel()
    try:
        future.result(timeout=10)
    except Exception:  # a cancelled stream ends with an exception by design
        pass
    assert ok, f"streaming pull got {seen}"
    print(json.dumps({"messages": order, "deliveries": seen}))


if __name__ == "__main__":
    command, args = sys.argv[1], sys.argv[2:]
    if command == "setup":
        setup(args[0], args[1:])
    elif command == "pull":
        pull(args[0], int(args[1]))
    elif command == "stream":
        stream(args[0], int(args[1]))
    else:
        raise SystemExit(f"unknown command {command}")
