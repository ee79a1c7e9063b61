"""What clients may do to the internal topic __consumer_offsets, as Kafka 4 (KRaft) answers it:

- Produce from a client: INVALID_TOPIC_EXCEPTION ("Cannot append to internal topic ..."); only Kafka's own
  admin client id `__admin_client` may append (ReplicaManager's internalTopicsAllowed).
- DeleteRecords: INVALID_TOPIC_EXCEPTION for every partition of an internal topic.
- DeleteTopics, CreatePartitions and config changes are accepted (the KRaft controller has no internal
  topic check for them); after a deletion the next FindCoordinator creates the topic again and groups
  work (their committed offsets are gone, as in Kafka).
"""
from confluent_kafka import Consumer, KafkaError, Producer, TopicPartition
from confluent_kafka.admin import AdminClient, AlterConfigOpType, ConfigEntry, ConfigResource, NewPartitions

from group_helpers import commit, committed
from helpers import create_topic, eventually, unique_topic

OFFSETS = "__consumer_offsets"


def produce_errors(bootstrap, topic, partition, client_id):
    errors = []
    p = Producer({"bootstrap.servers": bootstrap, "client.id": client_id, "retries": 0,
                  "message.timeout.ms": 30000})
    p.produce(topic, key=b"k", value=b"v", partition=partition, on_delivery=lambda err, msg: errors.append(err))
    assert p.flush(60) == 0
    return errors


def test_clients_cannot_append_to_or_delete_records_of_the_offsets_topic(broker):
    bootstrap = broker.bootstrap
    topic = create_topic(bootstrap, unique_topic("internal"), 1)
    commit(bootstrap, "g-internal", [TopicPartition(topic, 0, 5)])  # creates __consumer_offsets
    admin = AdminClient({"bootstrap.servers": bootstrap})
    md = admin.list_topics(topic=OFFSETS, timeout=10)
    partitions = len(md.topics[OFFSETS].partitions)
    assert partitions > 0

    (err,) = produce_errors(bootstrap, OFFSETS, 0, "an-app")
    assert err is not None and err.code() == KafkaError.TOPIC_EXCEPTION, err
    # Kafka's own admin client id may append (its tools rewrite the topic that way).
    (err,) = produce_errors(bootstrap, OFFSETS, 0, "__admin_client")
    assert err is None, err
    # An ordinary topic is unaffected.
    (err,) = produce_errors(bootstrap, topic, 0, "an-app")
    assert err is None, err

    futures = admin.delete_records([TopicPartition(OFFSETS, p, -1) for p in range(2)], request_timeout=30)
    for tp, f in futures.items():
        e = f.exception(30)
        assert e is not None and e.args[0].code() == KafkaError.TOPIC_EXCEPTION, (tp, e)
    # The group's committed offset is still there.
    assert committed(bootstrap, "g-internal", [TopicPartition(topic, 0)]) == {(topic, 0): 5}


def test_offsets_topic_admin_operations_kafka_allows(broker):
    bootstrap = broker.bootstrap
    topic = create_topic(bootstrap, unique_topic("internal-admin"), 1)
    commit(bootstrap, "g-admin", [TopicPartition(topic, 0, 9)])
    admin = AdminClient({"bootstrap.servers": bootstrap})

    # Config changes are allowed on internal topics.
    res = ConfigResource(ConfigResource.Type.TOPIC, OFFSETS, incremental_configs=[
        ConfigEntry("retention.ms", "86400000", incremental_operation=AlterConfigOpType.SET)])
    for f in admin.incremental_alter_configs([res], request_timeout=30).values():
        f.result(30)

    # DeleteTopics is accepted; the next group request creates the topic again and groups work.
    admin.delete_topics([OFFSETS], operation_timeout=30)[OFFSETS].result(60)
    eventually(lambda: OFFSETS not in admin.list_topics(timeout=10).topics, timeout=60,
               what="__consumer_offsets deleted")
    commit(bootstrap, "g-admin", [TopicPartition(topic, 0, 11)])
    got = eventually(lambda: committed(bootstrap, "g-admin", [TopicPartition(topic, 0)]), timeout=60,
                     what="a commit after the offsets topic was recreated")
    assert got == {(topic, 0): 11}

    # CreatePartitions is accepted too.
    before = len(admin.list_topics(topic=OFFSETS, timeout=10).topics[OFFSETS].partitions)
    admin.create_partitions([NewPartitions(OFFSETS, before + 1)], request_timeout=30)[OFFSETS].result(60)
    eventually(lambda: len(admin.list_topics(topic=OFFSETS, timeout=10).topics[OFFSETS].partitions) == before + 1,
               timeout=60, what="the added partition")
