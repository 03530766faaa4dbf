"""Produces records through Confluent's standard serializers (confluent-kafka's AvroSerializer,
ProtobufSerializer, JSONSerializer with its SchemaRegistryClient), which register the writer schema
under the topic's subject (TopicNameStrategy: TOPIC-value) and frame every value in the Confluent wire
format. Run by `scripts/real-env.sh registry-produce` inside its virtualenv; see docs/real-env.md.

    produce.py --brokers B --registry URL --topic T --format avro --variant v1 --start 0 --count 1000

Every record is deterministic so a test can check it after the load: its key is the decimal id, its
value has `id` = the sequence number (start, start+1, ...), `name` = "name-<id>", `ts` = the event time
(2026-11-22T00:00:00Z + id seconds, also the Kafka timestamp). Variants (Avro) are one schema evolving:

    v1  id int, name string, ts timestamp-millis
    v2  v1 + note ["null","string"] default null          (added optional field)
    v3  v2 + score double default 0.5                      (added field with default)
    v4  v3 with id long                                    (int -> long)
    bad v1 with name int                                   (incompatible: string -> int)
    nested  v1 + tags array<string>, attrs map<long>, lines array<record{sku string, qty ["null","int"]}>,
            maybe ["null", array<int>]                     (LIST, MAP, groups; issue 17)

protobuf and json_schema have v1 only. `--register-only` registers the Avro variant and produces
nothing. `--raw-schema-id N` skips the serializers and frames an Avro
v1 body with the given id (an id the registry may not know). One JSON line is printed at the end:
{"topic":..,"format":..,"variant":..,"schema_id":..,"subject":..,"start":..,"count":..,
 "partitions":{"0":{"first":o,"last":o,"count":n},..}}
"""

import argparse
import io
import json
import struct
import sys

from confluent_kafka import KafkaException, Producer
from confluent_kafka.schema_registry import SchemaRegistryClient
from confluent_kafka.serialization import MessageField, SerializationContext

EPOCH_MS = 1795305600000  # 2026-11-22T00:00:00Z

AVRO_FIELDS = {
    "id_int": {"name": "id", "type": "int"},
    "id_long": {"name": "id", "type": "long"},
    "name": {"name": "name", "type": "string"},
    "name_int": {"name": "name", "type": "int"},
    "ts": {"name": "ts", "type": {"type": "long", "logicalType": "timestamp-millis"}},
    "note": {"name": "note", "type": ["null", "string"], "default": None},
    "score": {"name": "score", "type": "double", "default": 0.5},
    "tags": {"name": "tags", "type": {"type": "array", "items": "string"}},
    "attrs": {"name": "attrs", "type": {"type": "map", "values": "long"}},
    "lines": {"name": "lines", "type": {"type": "array", "items": {"type": "record", "name": "Line", "fields": [
        {"name": "sku", "type": "string"}, {"name": "qty", "type": ["null", "int"], "default": None}]}}},
    "maybe": {"name": "maybe", "type": ["null", {"type": "array", "items": "int"}], "default": None},
}

AVRO_VARIANTS = {
    "v1": ["id_int", "name", "ts"],
    "v2": ["id_int", "name", "ts", "note"],
    "v3": ["id_int", "name", "ts", "note", "score"],
    "v4": ["id_long", "name", "ts", "note", "score"],
    "bad": ["id_int", "name_int", "ts"],
    "nested": ["id_int", "name", "ts", "tags", "attrs", "lines", "maybe"],
}


def avro_schema(variant):
    return json.dumps({"type": "record", "name": "Event", "namespace": "kafka2hdfs.test",
                       "fields": [AVRO_FIELDS[f] for f in AVRO_VARIANTS[variant]]})


def avro_value(variant, i):
    v = {"id": i, "name": f"name-{i}", "ts": EPOCH_MS + i * 1000}
    if variant == "bad":
        v["name"] = i
    if "note" in AVRO_VARIANTS[variant]:
        v["note"] = f"note-{i}" if i % 2 == 0 else None
    if "score" in AVRO_VARIANTS[variant]:
        v["score"] = i / 4
    if variant == "nested":  # nested_want in e2e/registry_nested_real_test.go mirrors this
        v["tags"] = [f"t{i}-{k}" for k in range(i % 3)]
        v["attrs"] = {} if i % 4 == 0 else {"k": i, "j": -1}
        v["lines"] = [{"sku": f"s{i}", "qty": None if i % 5 == 0 else i}]
        v["maybe"] = None if i % 2 == 0 else [i, i + 1]
    return v


JSON_SCHEMA = json.dumps({
    "$schema": "http://json-schema.org/draft-07/schema#",
    "title": "Event", "type": "object",
    "properties": {"id": {"type": "integer"}, "name": {"type": "string"}, "ts": {"type": "integer"}},
    "required": ["id", "name", "ts"], "additionalProperties": False,
})


def protobuf_class():
    """The Event message (proto3: int64 id = 1; string name = 2; int64 ts = 3;) built from a
    descriptor at run time, so no protoc is needed."""
    from google.protobuf import descriptor_pb2, descriptor_pool
    from google.protobuf.message_factory import GetMessageClass
    fdp = descriptor_pb2.FileDescriptorProto(name="kafka2hdfs_event.proto", package="kafka2hdfs.test", syntax="proto3")
    m = fdp.message_type.add(name="Event")
    F = descriptor_pb2.FieldDescriptorProto
    for num, (name, typ) in enumerate([("id", F.TYPE_INT64), ("name", F.TYPE_STRING), ("ts", F.TYPE_INT64)], 1):
        m.field.add(name=name, number=num, type=typ, label=F.LABEL_OPTIONAL)
    pool = descriptor_pool.DescriptorPool()
    pool.Add(fdp)
    return GetMessageClass(pool.FindMessageTypeByName("kafka2hdfs.test.Event"))


def serializer(fmt, variant, client):
    conf = {"auto.register.schemas": True}
    if fmt == "avro":
        from confluent_kafka.schema_registry.avro import AvroSerializer
        ser = AvroSerializer(client, avro_schema(variant), conf=conf)
        return ser, lambda i: avro_value(variant, i)
    if variant != "v1":
        sys.exit(f"produce.py: {fmt} has only the variant v1")
    if fmt == "json_schema":
        from confluent_kafka.schema_registry.json_schema import JSONSerializer
        ser = JSONSerializer(JSON_SCHEMA, client, conf=conf)
        return ser, lambda i: {"id": i, "name": f"name-{i}", "ts": EPOCH_MS + i * 1000}
    if fmt == "protobuf":
        from confluent_kafka.schema_registry.protobuf import ProtobufSerializer
        cls = protobuf_class()
        ser = ProtobufSerializer(cls, client, conf={**conf, "use.deprecated.format": False})
        return ser, lambda i: cls(id=i, name=f"name-{i}", ts=EPOCH_MS + i * 1000)
    sys.exit(f"produce.py: unknown format {fmt}")


def raw_avro(schema_id, variant):
    """Frames an Avro body by hand with the given schema id: magic 0, the id big-endian, the body."""
    from fastavro import parse_schema, schemaless_writer
    parsed = parse_schema(json.loads(avro_schema(variant)))

    def frame(i):
        buf = io.BytesIO()
        schemaless_writer(buf, parsed, avro_value(variant, i))
        return b"\x00" + struct.pack(">I", schema_id) + buf.getvalue()
    return frame


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--brokers", required=True)
    ap.add_argument("--registry", required=True)
    ap.add_argument("--topic", required=True)
    ap.add_argument("--format", default="avro", choices=["avro", "protobuf", "json_schema"])
    ap.add_argument("--variant", default="v1", choices=sorted(AVRO_VARIANTS))
    ap.add_argument("--start", type=int, default=0)
    ap.add_argument("--count", type=int, required=True)
    ap.add_argument("--partition", type=int, default=-1, help="one partition (default: by key)")
    ap.add_argument("--raw-schema-id", type=int, default=-1)
    ap.add_argument("--register-only", action="store_true", help="register the Avro variant, produce nothing")
    a = ap.parse_args()

    client = SchemaRegistryClient({"url": a.registry})
    subject = f"{a.topic}-value"
    schema_id = a.raw_schema_id
    if a.register_only:
        from confluent_kafka.schema_registry import Schema
        schema_id = client.register_schema(subject, Schema(avro_schema(a.variant), "AVRO"))
        print(json.dumps({"topic": a.topic, "format": "avro", "variant": a.variant, "schema_id": schema_id,
                          "subject": subject, "start": a.start, "count": 0, "partitions": {}}))
        return
    if schema_id >= 0:
        if a.format != "avro":
            sys.exit("produce.py: --raw-schema-id frames Avro bodies only")
        encode = raw_avro(schema_id, a.variant)
    else:
        ser, make = serializer(a.format, a.variant, client)
        ctx = SerializationContext(a.topic, MessageField.VALUE)

        def encode(i):
            return ser(make(i), ctx)

    p = Producer({"bootstrap.servers": a.brokers, "enable.idempotence": True, "acks": "all",
                  "linger.ms": 5, "partitioner": "murmur2_random"})
    parts, errors = {}, []

    def done(err, msg):
        if err is not None:
            errors.append(str(err))
            return
        s = parts.setdefault(str(msg.partition()), {"first": msg.offset(), "last": msg.offset(), "count": 0})
        s["first"], s["last"] = min(s["first"], msg.offset()), max(s["last"], msg.offset())
        s["count"] += 1

    for i in range(a.start, a.start + a.count):
        value = encode(i)
        if schema_id < 0:
            schema_id = struct.unpack(">I", value[1:5])[0]
        kw = {"partition": a.partition} if a.partition >= 0 else {}
        while True:
            try:
                p.produce(a.topic, key=str(i).encode(), value=value, timestamp=EPOCH_MS + i * 1000,
                          on_delivery=done, **kw)
                break
            except BufferError:
                p.poll(0.1)
        p.poll(0)
    left = p.flush(60)
    if left or errors:
        sys.exit(f"produce.py: {left} records undelivered, errors: {errors[:5]}")
    print(json.dumps({"topic": a.topic, "format": a.format, "variant": a.variant, "schema_id": schema_id,
                      "subject": subject, "start": a.start, "count": a.count, "partitions": parts}))


if __name__ == "__main__":
    try:
        main()
    except KafkaException as e:
        sys.exit(f"produce.py: {e}")
