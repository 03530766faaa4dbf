import java.math.BigDecimal;
import java.net.URI;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.LocalDate;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.Path;
import org.apache.parquet.example.data.Group;
import org.apache.parquet.example.data.simple.SimpleGroupFactory;
import org.apache.parquet.hadoop.ParquetFileWriter;
import org.apache.parquet.hadoop.ParquetWriter;
import org.apache.parquet.hadoop.example.ExampleParquetWriter;
import org.apache.parquet.hadoop.metadata.CompressionCodecName;
import org.apache.parquet.io.api.Binary;
import org.apache.parquet.schema.MessageType;
import org.apache.parquet.schema.MessageTypeParser;

/**
 * Writes a small Parquet file with parquet-mr covering the types ParquetCheck canonicalizes, for
 * checking the checker and the environment (scripts/real-env.sh parquet-sample OUT [ROWS]).
 * OUT is like ParquetCheck's ROOT: hdfs://..., hdfs:///..., file:///... or a local path.
 * Row i has kafka_partition i % 2 and kafka_offset 100 + i.
 */
public final class ParquetSample {
  static final MessageType SCHEMA = MessageTypeParser.parseMessageType(
      "message sample {\n"
          + "  required int32 kafka_partition;\n"
          + "  required int64 kafka_offset;\n"
          + "  required int64 ts (TIMESTAMP(MILLIS,true));\n"
          + "  optional int64 ts_us (TIMESTAMP(MICROS,false));\n"
          + "  optional int96 ts96;\n"
          + "  optional int32 day (DATE);\n"
          + "  optional int64 price (DECIMAL(10,2));\n"
          + "  optional fixed_len_byte_array(9) big (DECIMAL(20,4));\n"
          + "  optional binary name (STRING);\n"
          + "  optional binary raw;\n"
          + "  optional float f;\n"
          + "  optional double d;\n"
          + "  optional boolean ok;\n"
          + "  optional group tags (LIST) { repeated group list { optional binary element (STRING); } }\n"
          + "  optional group attrs (MAP) { repeated group key_value { required binary key (STRING); optional int64 value; } }\n"
          + "  optional group user { required int64 id; optional binary email (STRING); }\n"
          + "}");

  public static void main(String[] args) throws Exception {
    if (args.length < 1) {
      System.err.println("usage: ParquetSample OUT [ROWS]");
      System.exit(2);
    }
    int rows = args.length > 1 ? Integer.parseInt(args[1]) : 4;
    Path out = args[0].contains("://") ? new Path(new URI(args[0])) : new Path(new java.io.File(args[0]).getAbsoluteFile().toURI());
    Configuration conf = new Configuration();
    SimpleGroupFactory f = new SimpleGroupFactory(SCHEMA);
    Instant t0 = Instant.parse("2024-02-29T23:59:58.123Z");
    try (ParquetWriter<Group> w = ExampleParquetWriter.builder(out).withConf(conf).withType(SCHEMA)
        .withWriteMode(ParquetFileWriter.Mode.OVERWRITE).withCompressionCodec(CompressionCodecName.SNAPPY)
        .withExtraMetaData(java.util.Map.of("writer", "ParquetSample")).build()) {
      for (int i = 0; i < rows; i++) {
        Group g = f.newGroup();
        g.add("kafka_partition", i % 2);
        g.add("kafka_offset", 100L + i);
        g.add("ts", t0.plusMillis(i * 1001L).toEpochMilli());
        if (i % 3 != 2) {
          Instant t = t0.plusNanos(i * 1_000_001_000L);
          g.add("ts_us", t.getEpochSecond() * 1_000_000L + t.getNano() / 1000);
          ByteBuffer bb = ByteBuffer.allocate(12).order(ByteOrder.LITTLE_ENDIAN);
          long day = Math.floorDiv(t.getEpochSecond(), 86400L);
          bb.putLong((t.getEpochSecond() - day * 86400L) * 1_000_000_000L + t.getNano());
          bb.putInt((int) (day + 2_440_588L));
          g.add("ts96", Binary.fromConstantByteArray(bb.array()));
          g.add("day", (int) LocalDate.of(2024, 2, 28).plusDays(i).toEpochDay());
          g.add("price", new BigDecimal("-12.34").add(BigDecimal.valueOf(i)).unscaledValue().longValue());
          byte[] unscaled = new BigDecimal("1234567890123.4567").negate().add(BigDecimal.valueOf(i)).setScale(4).unscaledValue().toByteArray();
          byte[] fixed = new byte[9];
          byte pad = (byte) (unscaled[0] < 0 ? 0xff : 0);
          for (int k = 0; k < 9 - unscaled.length; k++) fixed[k] = pad;
          System.arraycopy(unscaled, 0, fixed, 9 - unscaled.length, unscaled.length);
          g.add("big", Binary.fromConstantByteArray(fixed));
          g.add("name", "naïve \"quoted\" \u00e9\n" + i);
          g.add("raw", Binary.fromConstantByteArray(new byte[] {0, (byte) 0xff, (byte) i}));
          g.add("f", 1.5f * i);
          g.add("d", i == 1 ? Double.NaN : 0.1 * i);
          g.add("ok", i % 2 == 0);
          Group tags = g.addGroup("tags");
          for (int k = 0; k < i; k++) tags.addGroup("list").add("element", "t" + k);
          if (i > 0) tags.addGroup("list"); // a null element
          Group attrs = g.addGroup("attrs");
          attrs.addGroup("key_value").append("key", "a").append("value", (long) i);
          attrs.addGroup("key_value").append("key", "b\"q");
          Group user = g.addGroup("user");
          user.add("id", 1000L + i);
          if (i % 2 == 1) user.add("email", "u" + i + "@example.com");
        }
        w.write(g);
      }
    }
    System.out.println("wrote " + rows + " rows to " + out);
  }
}
