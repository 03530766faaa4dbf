import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.DescribeClusterResult;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.Node;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.TopicExistsException;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;

/**
 * Small client-side helper for scripts/real-env.sh, compiled against the kafka-clients of the
 * broker it talks to (4.x or 3.x).
 *
 * <pre>
 *   KafkaTool ready BOOTSTRAP [TIMEOUT_S]          describeCluster until it answers; prints the cluster
 *   KafkaTool create-topic BOOTSTRAP NAME PARTITIONS [REPLICATION]
 *   KafkaTool produce BOOTSTRAP TOPIC N [PREFIX]    N records key-i / PREFIX-i, round robin over partitions, idempotent
 *   KafkaTool consume BOOTSTRAP TOPIC N [TIMEOUT_S] read N records from the beginning of every partition, no group
 * </pre>
 */
public final class KafkaTool {
  public static void main(String[] a) throws Exception {
    if (a.length < 2) usage();
    String bs = a[1];
    switch (a[0]) {
      case "ready":
        System.exit(ready(bs, a.length > 2 ? Integer.parseInt(a[2]) : 60));
        break;
      case "create-topic":
        if (a.length < 4) usage();
        createTopic(bs, a[2], Integer.parseInt(a[3]), a.length > 4 ? Short.parseShort(a[4]) : 1);
        break;
      case "produce":
        if (a.length < 4) usage();
        produce(bs, a[2], Integer.parseInt(a[3]), a.length > 4 ? a[4] : "value");
        break;
      case "consume":
        if (a.length < 4) usage();
        System.exit(consume(bs, a[2], Integer.parseInt(a[3]), a.length > 4 ? Integer.parseInt(a[4]) : 30));
        break;
      default:
        usage();
    }
  }

  private static void usage() {
    System.err.println("usage: KafkaTool ready BOOTSTRAP [TIMEOUT_S] | create-topic BOOTSTRAP NAME PARTITIONS [RF]"
        + " | produce BOOTSTRAP TOPIC N [PREFIX] | consume BOOTSTRAP TOPIC N [TIMEOUT_S]");
    System.exit(2);
  }

  private static Admin admin(String bs) {
    Properties p = new Properties();
    p.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bs);
    p.put(AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, 5000);
    p.put(AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, 10000);
    p.put(AdminClientConfig.RECONNECT_BACKOFF_MAX_MS_CONFIG, 500);
    return Admin.create(p);
  }

  /** 0 once describeCluster lists a controller and this broker; 1 after the timeout. */
  private static int ready(String bs, int timeoutS) throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(timeoutS);
    String last = "";
    try (Admin admin = admin(bs)) {
      while (System.nanoTime() < deadline) {
        try {
          DescribeClusterResult r = admin.describeCluster();
          String id = r.clusterId().get(5, TimeUnit.SECONDS);
          Node controller = r.controller().get(5, TimeUnit.SECONDS);
          int nodes = r.nodes().get(5, TimeUnit.SECONDS).size();
          if (nodes > 0 && controller != null && !controller.isEmpty()) {
            System.out.println("kafka ready: cluster " + id + ", " + nodes + " broker(s), controller " + controller.id());
            return 0;
          }
          last = "no brokers yet";
        } catch (Exception e) {
          last = String.valueOf(e.getCause() != null ? e.getCause() : e);
        }
        Thread.sleep(250);
      }
    }
    System.err.println("kafka not ready after " + timeoutS + " s: " + last);
    return 1;
  }

  private static void createTopic(String bs, String name, int partitions, short rf) throws Exception {
    try (Admin admin = admin(bs)) {
      try {
        admin.createTopics(List.of(new NewTopic(name, partitions, rf))).all().get();
        System.out.println("created topic " + name + " with " + partitions + " partition(s)");
      } catch (ExecutionException e) {
        if (!(e.getCause() instanceof TopicExistsException)) throw e;
        TopicDescription d = admin.describeTopics(List.of(name)).allTopicNames().get().get(name);
        if (d.partitions().size() != partitions) {
          System.err.println("topic " + name + " exists with " + d.partitions().size() + " partition(s), not " + partitions);
          System.exit(1);
        }
        System.out.println("topic " + name + " exists with " + partitions + " partition(s)");
        return;
      }
      // Wait until every partition has a leader, so that producers do not race the creation.
      for (int i = 0; i < 100; i++) {
        TopicDescription d = admin.describeTopics(List.of(name)).allTopicNames().get().get(name);
        if (d.partitions().stream().allMatch(p -> p.leader() != null && !p.leader().isEmpty())) return;
        Thread.sleep(100);
      }
    }
  }

  private static void produce(String bs, String topic, int n, String prefix) throws Exception {
    Properties p = new Properties();
    p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bs);
    p.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
    p.put(ProducerConfig.ACKS_CONFIG, "all");
    p.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, StringSerializer.class.getName());
    p.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, StringSerializer.class.getName());
    try (KafkaProducer<String, String> prod = new KafkaProducer<>(p)) {
      int parts = prod.partitionsFor(topic).size();
      for (int i = 0; i < n; i++) {
        prod.send(new ProducerRecord<>(topic, i % parts, "key-" + i, prefix + "-" + i));
      }
      prod.flush();
    }
    System.out.println("produced " + n + " record(s) to " + topic);
  }

  private static int consume(String bs, String topic, int n, int timeoutS) {
    Properties p = new Properties();
    p.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bs);
    p.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
    p.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
    p.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class.getName());
    p.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class.getName());
    int got = 0;
    try (KafkaConsumer<String, String> c = new KafkaConsumer<>(p)) {
      List<TopicPartition> tps = new ArrayList<>();
      c.partitionsFor(topic).forEach(pi -> tps.add(new TopicPartition(topic, pi.partition())));
      c.assign(tps);
      c.seekToBeginning(tps);
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(timeoutS);
      while (got < n && System.nanoTime() < deadline) {
        for (ConsumerRecord<String, String> r : c.poll(Duration.ofMillis(500))) {
          System.out.println(r.partition() + "\t" + r.offset() + "\t" + r.key() + "\t" + r.value());
          got++;
        }
      }
    }
    System.err.println("consumed " + got + " of " + n + " record(s) from " + topic);
    return got >= n ? 0 : 1;
  }
}
