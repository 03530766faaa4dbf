import java.io.IOException;
import java.io.PrintStream;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.LocalDate;
import java.time.LocalTime;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.UUID;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.parquet.example.data.Group;
import org.apache.parquet.hadoop.ParquetFileReader;
import org.apache.parquet.hadoop.ParquetReader;
import org.apache.parquet.hadoop.api.ReadSupport;
import org.apache.parquet.hadoop.example.GroupReadSupport;
import org.apache.parquet.hadoop.metadata.BlockMetaData;
import org.apache.parquet.hadoop.metadata.ParquetMetadata;
import org.apache.parquet.hadoop.util.HadoopInputFile;
import org.apache.parquet.io.api.Binary;
import org.apache.parquet.schema.GroupType;
import org.apache.parquet.schema.LogicalTypeAnnotation;
import org.apache.parquet.schema.LogicalTypeAnnotation.DecimalLogicalTypeAnnotation;
import org.apache.parquet.schema.LogicalTypeAnnotation.IntLogicalTypeAnnotation;
import org.apache.parquet.schema.LogicalTypeAnnotation.TimeLogicalTypeAnnotation;
import org.apache.parquet.schema.LogicalTypeAnnotation.TimestampLogicalTypeAnnotation;
import org.apache.parquet.schema.MessageType;
import org.apache.parquet.schema.PrimitiveType;
import org.apache.parquet.schema.Type;

/**
 * The reference Parquet reader for kafka2hdfs's tests: parquet-mr (Apache Parquet's Java
 * implementation) reads every *.parquet file under a root through the Hadoop FileSystem and
 * prints what it found as JSON lines.
 *
 * <pre>
 *   ParquetCheck ROOT [--values] [--errors] [--merge]
 * </pre>
 *
 * ROOT is a file or directory: hdfs://host:port/path, hdfs:///path (fs.defaultFS's NameNode),
 * file:///path, or a plain path, which is always local. Paths with a segment (below ROOT) starting
 * with _ or . are skipped unless --errors is given. One line per file:
 *
 * <pre>
 *   {"path":"dt=2024-01-01/part-0.parquet","partitions":{"dt":"2024-01-01"},"rows":3,
 *    "schema":[{"path":"a.b","type":"INT64","logical":"TIMESTAMP(MILLIS,true)","repetition":"REQUIRED"}],
 *    "created_by":"...","kv":{...},"offsets":[[0,17],...],"rows_values":[{...},...]}
 * </pre>
 *
 * offsets come from the top-level columns kafka_partition and kafka_offset when both exist;
 * rows_values only with --values. A file that cannot be read gives {"path":..,"error":..} and exit
 * code 1 at the end. The last line is {"files":F,"rows":R} (F counts files read without error).
 *
 * With --merge, before the last line, the files' schemas merged the way parquet-mr's
 * ParquetInputFormat merges a table's footers (MessageType.union, strict: a column of two physical
 * types is an error), and every file read with that merged schema as the requested one (a column a
 * file lacks reads as null):
 *
 * <pre>
 *   {"merged":{"error":null,"schema":[...],"files":F,"rows":R,"non_null":{"a.b":N,...},
 *    "ints":{"id":{"distinct":D,"min":M,"max":X}}}}
 * </pre>
 *
 * ints covers the top-level INT32/INT64 columns that are not kafka_ metadata. On a merge error,
 * only "error" is given (and the exit code is unaffected: refusing is the reader's answer).
 *
 * Canonical values: TIMESTAMP (INT64, any unit) and INT96 as Instant.toString() (UTC, ISO-8601),
 * DATE as an ISO date, TIME as LocalTime.toString(), DECIMAL as a string holding
 * BigDecimal.toPlainString(), STRING/ENUM/JSON as strings, UUID as its canonical string, other
 * binary as base64, integers (unsigned ones unsigned), floats, doubles and booleans as JSON numbers
 * and booleans (NaN and infinities as the strings "NaN", "Infinity", "-Infinity"), null as null,
 * LIST as an array, MAP as an object (keys as their canonical text), other groups as objects and
 * repeated fields as arrays.
 */
public final class ParquetCheck {
  private static final long JULIAN_EPOCH_DAY = 2_440_588L;
  private static final long NANOS_PER_DAY = 86_400L * 1_000_000_000L;

  public static void main(String[] args) throws Exception {
    String root = null;
    boolean values = false, errors = false, merge = false;
    for (String a : args) {
      switch (a) {
        case "--values": values = true; break;
        case "--errors": errors = true; break;
        case "--merge": merge = true; break;
        default:
          if (a.startsWith("--") || root != null) usage();
          root = a;
      }
    }
    if (root == null) usage();
    PrintStream out = new PrintStream(System.out, false, StandardCharsets.UTF_8);
    ParquetCheck pc = new ParquetCheck(out, values, errors);
    pc.merge = merge;
    int code = pc.run(root);
    out.flush();
    System.exit(code);
  }

  private static void usage() {
    System.err.println("usage: ParquetCheck ROOT [--values] [--errors] [--merge]");
    System.exit(2);
  }

  private final PrintStream out;
  private final boolean values;
  private final boolean errors;
  private boolean merge;
  private final Configuration conf = new Configuration();
  private long files;
  private long rows;
  private boolean failed;

  private ParquetCheck(PrintStream out, boolean values, boolean errors) {
    this.out = out;
    this.values = values;
    this.errors = errors;
  }

  private int run(String rootArg) throws IOException {
    Path root = qualify(rootArg);
    FileSystem fs = root.getFileSystem(conf);
    FileStatus st;
    try {
      st = fs.getFileStatus(root);
    } catch (IOException e) {
      out.println("{\"path\":" + Json.str("") + ",\"error\":" + Json.str(String.valueOf(e)) + "}");
      out.println("{\"files\":0,\"rows\":0}");
      return 1;
    }
    List<String> rels = new ArrayList<>();
    if (st.isFile()) {
      rels.add(root.getName());
      root = root.getParent();
    } else {
      walk(fs, root, "", rels);
    }
    rels.sort(null);
    for (String rel : rels) {
      check(fs, new Path(root, rel), rel);
    }
    if (merge) merged(root, rels);
    out.println("{\"files\":" + files + ",\"rows\":" + rows + "}");
    return failed ? 1 : 0;
  }

  /** A plain path is local; anything with a scheme goes to that file system. */
  private static Path qualify(String s) throws IOException {
    try {
      URI u = new URI(s);
      if (u.getScheme() != null) return new Path(u);
    } catch (URISyntaxException e) {
      // a local path with characters a URI does not take
    }
    return new Path(new java.io.File(s).getAbsoluteFile().toURI());
  }

  private void walk(FileSystem fs, Path dir, String rel, List<String> acc) throws IOException {
    for (FileStatus c : fs.listStatus(dir)) {
      String name = c.getPath().getName();
      if (!errors && (name.startsWith("_") || name.startsWith("."))) continue;
      String r = rel.isEmpty() ? name : rel + "/" + name;
      if (c.isDirectory()) {
        walk(fs, c.getPath(), r, acc);
      } else if (name.endsWith(".parquet")) {
        acc.add(r);
      }
    }
  }

  private void check(FileSystem fs, Path p, String rel) {
    StringBuilder b = new StringBuilder();
    try {
      ParquetMetadata footer;
      try (ParquetFileReader r = ParquetFileReader.open(HadoopInputFile.fromPath(p, conf))) {
        footer = r.getFooter();
      }
      MessageType schema = footer.getFileMetaData().getSchema();
      long n = 0;
      for (BlockMetaData bm : footer.getBlocks()) n += bm.getRowCount();
      b.append("{\"path\":").append(Json.str(rel));
      b.append(",\"partitions\":{");
      boolean first = true;
      String[] segs = rel.split("/");
      for (int i = 0; i < segs.length - 1; i++) {
        int eq = segs[i].indexOf('=');
        if (eq <= 0) continue;
        if (!first) b.append(',');
        first = false;
        b.append(Json.str(unescape(segs[i].substring(0, eq)))).append(':').append(Json.str(unescape(segs[i].substring(eq + 1))));
      }
      b.append("},\"rows\":").append(n);
      b.append(",\"schema\":[");
      first = true;
      for (String[] col : leaves(schema)) {
        if (!first) b.append(',');
        first = false;
        b.append("{\"path\":").append(Json.str(col[0])).append(",\"type\":").append(Json.str(col[1]))
            .append(",\"logical\":").append(col[2] == null ? "null" : Json.str(col[2]))
            .append(",\"repetition\":").append(Json.str(col[3])).append('}');
      }
      b.append("],\"created_by\":").append(Json.str(footer.getFileMetaData().getCreatedBy()));
      b.append(",\"kv\":{");
      first = true;
      for (Map.Entry<String, String> e : new TreeMap<>(footer.getFileMetaData().getKeyValueMetaData()).entrySet()) {
        if (!first) b.append(',');
        first = false;
        b.append(Json.str(e.getKey())).append(':').append(Json.str(e.getValue()));
      }
      b.append('}');
      boolean hasOffsets = schema.containsField("kafka_partition") && schema.containsField("kafka_offset")
          && schema.getType("kafka_partition").isPrimitive() && schema.getType("kafka_offset").isPrimitive();
      if (hasOffsets || values) {
        Configuration c = new Configuration(conf);
        if (!values) {
          // Only the two offset columns.
          MessageType proj = new MessageType(schema.getName(), schema.getType("kafka_partition"), schema.getType("kafka_offset"));
          c.set(ReadSupport.PARQUET_READ_SCHEMA, proj.toString());
        }
        StringBuilder offs = new StringBuilder("[");
        StringBuilder vals = new StringBuilder("[");
        long read = 0;
        try (ParquetReader<Group> r = ParquetReader.builder(new GroupReadSupport(), p).withConf(c).build()) {
          for (Group g; (g = r.read()) != null; read++) {
            if (read > 0) {
              offs.append(',');
              vals.append(',');
            }
            if (hasOffsets) {
              offs.append('[').append(scalar(g, "kafka_partition")).append(',').append(scalar(g, "kafka_offset")).append(']');
            }
            if (values) group(vals, g, g.getType());
          }
        }
        if (read != n) throw new IOException("footer says " + n + " rows, read " + read);
        if (hasOffsets) b.append(",\"offsets\":").append(offs).append(']');
        if (values) b.append(",\"rows_values\":").append(vals).append(']');
      }
      b.append('}');
      out.println(b);
      files++;
      rows += n;
    } catch (Exception e) {
      failed = true;
      out.println("{\"path\":" + Json.str(rel) + ",\"error\":" + Json.str(String.valueOf(e)) + "}");
    }
  }

  /** The --merge line: the footers' schemas unioned strictly, then every file read with it. */
  private void merged(Path root, List<String> rels) {
    MessageType m = null;
    try {
      for (String rel : rels) {
        try (ParquetFileReader r = ParquetFileReader.open(HadoopInputFile.fromPath(new Path(root, rel), conf))) {
          MessageType s = r.getFooter().getFileMetaData().getSchema();
          m = m == null ? s : m.union(s, true);
        }
      }
    } catch (Exception e) {
      out.println("{\"merged\":{\"error\":" + Json.str(String.valueOf(e)) + "}}");
      return;
    }
    if (m == null) {
      out.println("{\"merged\":{\"error\":\"no files\"}}");
      return;
    }
    long n = 0;
    Map<String, Long> nonNull = new TreeMap<>();
    Map<String, java.util.Set<Long>> ints = new TreeMap<>();
    for (Type t : m.getFields()) {
      nonNull.put(t.getName(), 0L);
      if (t.isPrimitive() && !t.getName().startsWith("kafka_")) {
        PrimitiveType.PrimitiveTypeName pt = t.asPrimitiveType().getPrimitiveTypeName();
        if (pt == PrimitiveType.PrimitiveTypeName.INT32 || pt == PrimitiveType.PrimitiveTypeName.INT64) {
          ints.put(t.getName(), new java.util.HashSet<>());
        }
      }
    }
    try {
      for (String rel : rels) {
        try (ParquetFileReader r = ParquetFileReader.open(HadoopInputFile.fromPath(new Path(root, rel), conf))) {
          MessageType fileSchema = r.getFooter().getFileMetaData().getSchema();
          org.apache.parquet.io.MessageColumnIO io = new org.apache.parquet.io.ColumnIOFactory(
              r.getFooter().getFileMetaData().getCreatedBy()).getColumnIO(m, fileSchema, true);
          for (org.apache.parquet.column.page.PageReadStore pages; (pages = r.readNextRowGroup()) != null; ) {
            org.apache.parquet.io.RecordReader<Group> rr =
                io.getRecordReader(pages, new org.apache.parquet.example.data.simple.convert.GroupRecordConverter(m));
            for (long i = 0; i < pages.getRowCount(); i++, n++) {
              Group g = rr.read();
              for (Type t : m.getFields()) {
                String f = t.getName();
                if (g.getFieldRepetitionCount(f) == 0) continue;
                nonNull.merge(f, 1L, Long::sum);
                java.util.Set<Long> set = ints.get(f);
                if (set != null) {
                  set.add(t.asPrimitiveType().getPrimitiveTypeName() == PrimitiveType.PrimitiveTypeName.INT32
                      ? (long) g.getInteger(f, 0) : g.getLong(f, 0));
                }
              }
            }
          }
        }
      }
    } catch (Exception e) {
      failed = true;
      out.println("{\"merged\":{\"error\":" + Json.str("reading with the merged schema: " + e) + "}}");
      return;
    }
    StringBuilder b = new StringBuilder("{\"merged\":{\"error\":null,\"schema\":[");
    boolean first = true;
    for (String[] col : leaves(m)) {
      if (!first) b.append(',');
      first = false;
      b.append("{\"path\":").append(Json.str(col[0])).append(",\"type\":").append(Json.str(col[1]))
          .append(",\"logical\":").append(col[2] == null ? "null" : Json.str(col[2]))
          .append(",\"repetition\":").append(Json.str(col[3])).append('}');
    }
    b.append("],\"files\":").append(rels.size()).append(",\"rows\":").append(n).append(",\"non_null\":{");
    first = true;
    for (Map.Entry<String, Long> e : nonNull.entrySet()) {
      if (!first) b.append(',');
      first = false;
      b.append(Json.str(e.getKey())).append(':').append(e.getValue());
    }
    b.append("},\"ints\":{");
    first = true;
    for (Map.Entry<String, java.util.Set<Long>> e : ints.entrySet()) {
      if (!first) b.append(',');
      first = false;
      java.util.Set<Long> v = e.getValue();
      b.append(Json.str(e.getKey())).append(":{\"distinct\":").append(v.size())
          .append(",\"min\":").append(v.isEmpty() ? "null" : String.valueOf(java.util.Collections.min(v)))
          .append(",\"max\":").append(v.isEmpty() ? "null" : String.valueOf(java.util.Collections.max(v))).append('}');
    }
    b.append("}}}");
    out.println(b);
  }

  private static String scalar(Group g, String field) {
    if (g.getFieldRepetitionCount(field) == 0) return "null";
    StringBuilder b = new StringBuilder();
    primitive(b, g, g.getType().getFieldIndex(field), 0, g.getType().getType(field).asPrimitiveType());
    return b.toString();
  }

  /** Hive-style %XX unescaping of a partition directory's name or value. */
  static String unescape(String s) {
    if (s.indexOf('%') < 0) return s;
    java.io.ByteArrayOutputStream o = new java.io.ByteArrayOutputStream();
    byte[] in = s.getBytes(StandardCharsets.UTF_8);
    for (int i = 0; i < in.length; i++) {
      if (in[i] == '%' && i + 2 < in.length && hex(in[i + 1]) >= 0 && hex(in[i + 2]) >= 0) {
        o.write(hex(in[i + 1]) * 16 + hex(in[i + 2]));
        i += 2;
      } else {
        o.write(in[i]);
      }
    }
    return new String(o.toByteArray(), StandardCharsets.UTF_8);
  }

  private static int hex(byte c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
  }

  /** Leaf columns: dotted path, physical type, logical type, repetition. */
  private static List<String[]> leaves(MessageType schema) {
    List<String[]> acc = new ArrayList<>();
    for (org.apache.parquet.column.ColumnDescriptor d : schema.getColumns()) {
      PrimitiveType t = d.getPrimitiveType();
      LogicalTypeAnnotation l = t.getLogicalTypeAnnotation();
      String type = t.getPrimitiveTypeName().name();
      if (t.getPrimitiveTypeName() == PrimitiveType.PrimitiveTypeName.FIXED_LEN_BYTE_ARRAY) {
        type += "(" + t.getTypeLength() + ")";
      }
      acc.add(new String[] {String.join(".", d.getPath()), type, l == null ? null : l.toString(), t.getRepetition().name()});
    }
    return acc;
  }

  // ---- values ----

  private static void group(StringBuilder b, Group g, GroupType t) {
    b.append('{');
    for (int i = 0; i < t.getFieldCount(); i++) {
      if (i > 0) b.append(',');
      b.append(Json.str(t.getFieldName(i))).append(':');
      field(b, g, i, t.getType(i));
    }
    b.append('}');
  }

  /** Field i of g: null, one value, or (repeated) an array. */
  private static void field(StringBuilder b, Group g, int i, Type t) {
    int n = g.getFieldRepetitionCount(i);
    if (t.isRepetition(Type.Repetition.REPEATED)) {
      b.append('[');
      for (int k = 0; k < n; k++) {
        if (k > 0) b.append(',');
        value(b, g, i, k, t);
      }
      b.append(']');
    } else if (n == 0) {
      b.append("null");
    } else {
      value(b, g, i, 0, t);
    }
  }

  private static void value(StringBuilder b, Group g, int i, int k, Type t) {
    if (t.isPrimitive()) {
      primitive(b, g, i, k, t.asPrimitiveType());
      return;
    }
    Group sub = g.getGroup(i, k);
    GroupType gt = t.asGroupType();
    LogicalTypeAnnotation l = gt.getLogicalTypeAnnotation();
    if (l instanceof LogicalTypeAnnotation.ListLogicalTypeAnnotation && gt.getFieldCount() == 1
        && gt.getType(0).isRepetition(Type.Repetition.REPEATED)) {
      list(b, sub, gt);
    } else if ((l instanceof LogicalTypeAnnotation.MapLogicalTypeAnnotation
            || l instanceof LogicalTypeAnnotation.MapKeyValueTypeAnnotation)
        && gt.getFieldCount() == 1 && !gt.getType(0).isPrimitive()
        && gt.getType(0).asGroupType().getFieldCount() == 2) {
      map(b, sub, gt);
    } else {
      group(b, sub, gt);
    }
  }

  /** LIST: the repeated child is the element (2-level), or wraps it (3-level, one field). */
  private static void list(StringBuilder b, Group g, GroupType t) {
    Type rep = t.getType(0);
    int n = g.getFieldRepetitionCount(0);
    boolean threeLevel = !rep.isPrimitive() && rep.asGroupType().getFieldCount() == 1
        && !rep.getName().equals("array") && !rep.getName().equals(t.getName() + "_tuple");
    b.append('[');
    for (int k = 0; k < n; k++) {
      if (k > 0) b.append(',');
      if (threeLevel) {
        Group wrap = g.getGroup(0, k);
        Type el = rep.asGroupType().getType(0);
        if (wrap.getFieldRepetitionCount(0) == 0) b.append("null");
        else value(b, wrap, 0, 0, el);
      } else {
        value(b, g, 0, k, rep);
      }
    }
    b.append(']');
  }

  /** MAP: repeated key_value { key; value } as an object keyed by the key's canonical text. */
  private static void map(StringBuilder b, Group g, GroupType t) {
    GroupType kv = t.getType(0).asGroupType();
    int n = g.getFieldRepetitionCount(0);
    b.append('{');
    for (int k = 0; k < n; k++) {
      if (k > 0) b.append(',');
      Group e = g.getGroup(0, k);
      StringBuilder key = new StringBuilder();
      field(key, e, 0, kv.getType(0));
      String ks = key.toString();
      b.append(ks.startsWith("\"") ? ks : Json.str(ks)).append(':');
      field(b, e, 1, kv.getType(1));
    }
    b.append('}');
  }

  private static void primitive(StringBuilder b, Group g, int i, int k, PrimitiveType t) {
    LogicalTypeAnnotation l = t.getLogicalTypeAnnotation();
    switch (t.getPrimitiveTypeName()) {
      case BOOLEAN:
        b.append(g.getBoolean(i, k));
        return;
      case INT32: {
        int v = g.getInteger(i, k);
        if (l instanceof LogicalTypeAnnotation.DateLogicalTypeAnnotation) {
          b.append(Json.str(LocalDate.ofEpochDay(v).toString()));
        } else if (l instanceof DecimalLogicalTypeAnnotation) {
          b.append(Json.str(new BigDecimal(BigInteger.valueOf(v), ((DecimalLogicalTypeAnnotation) l).getScale()).toPlainString()));
        } else if (l instanceof TimeLogicalTypeAnnotation) {
          b.append(Json.str(LocalTime.ofNanoOfDay(v * 1_000_000L).toString()));
        } else if (l instanceof IntLogicalTypeAnnotation && !((IntLogicalTypeAnnotation) l).isSigned()) {
          b.append(Integer.toUnsignedLong(v));
        } else {
          b.append(v);
        }
        return;
      }
      case INT64: {
        long v = g.getLong(i, k);
        if (l instanceof TimestampLogicalTypeAnnotation) {
          b.append(Json.str(instant(v, ((TimestampLogicalTypeAnnotation) l).getUnit()).toString()));
        } else if (l instanceof DecimalLogicalTypeAnnotation) {
          b.append(Json.str(new BigDecimal(BigInteger.valueOf(v), ((DecimalLogicalTypeAnnotation) l).getScale()).toPlainString()));
        } else if (l instanceof TimeLogicalTypeAnnotation) {
          long nanos = ((TimeLogicalTypeAnnotation) l).getUnit() == LogicalTypeAnnotation.TimeUnit.MICROS ? v * 1000 : v;
          b.append(Json.str(LocalTime.ofNanoOfDay(nanos).toString()));
        } else if (l instanceof IntLogicalTypeAnnotation && !((IntLogicalTypeAnnotation) l).isSigned()) {
          b.append(Long.toUnsignedString(v));
        } else {
          b.append(v);
        }
        return;
      }
      case INT96: {
        ByteBuffer bb = g.getInt96(i, k).toByteBuffer().order(ByteOrder.LITTLE_ENDIAN);
        long nanosOfDay = bb.getLong();
        long julianDay = Integer.toUnsignedLong(bb.getInt());
        long secs = Math.multiplyExact(julianDay - JULIAN_EPOCH_DAY, 86_400L);
        b.append(Json.str(Instant.ofEpochSecond(secs, nanosOfDay).toString()));
        return;
      }
      case FLOAT:
        number(b, g.getFloat(i, k));
        return;
      case DOUBLE:
        number(b, g.getDouble(i, k));
        return;
      case BINARY:
      case FIXED_LEN_BYTE_ARRAY: {
        Binary v = g.getBinary(i, k);
        if (l instanceof DecimalLogicalTypeAnnotation) {
          b.append(Json.str(new BigDecimal(new BigInteger(v.getBytes()), ((DecimalLogicalTypeAnnotation) l).getScale()).toPlainString()));
        } else if (l instanceof LogicalTypeAnnotation.StringLogicalTypeAnnotation
            || l instanceof LogicalTypeAnnotation.EnumLogicalTypeAnnotation
            || l instanceof LogicalTypeAnnotation.JsonLogicalTypeAnnotation) {
          b.append(Json.str(v.toStringUsingUTF8()));
        } else if (l instanceof LogicalTypeAnnotation.UUIDLogicalTypeAnnotation && v.length() == 16) {
          ByteBuffer bb = v.toByteBuffer();
          b.append(Json.str(new UUID(bb.getLong(), bb.getLong()).toString()));
        } else {
          b.append(Json.str(Base64.getEncoder().encodeToString(v.getBytes())));
        }
        return;
      }
      default:
        throw new IllegalStateException("unknown physical type " + t);
    }
  }

  static Instant instant(long v, LogicalTypeAnnotation.TimeUnit unit) {
    switch (unit) {
      case MILLIS: return Instant.ofEpochMilli(v);
      case MICROS: return Instant.ofEpochSecond(Math.floorDiv(v, 1_000_000L), Math.floorMod(v, 1_000_000L) * 1000L);
      case NANOS: return Instant.ofEpochSecond(Math.floorDiv(v, 1_000_000_000L), Math.floorMod(v, 1_000_000_000L));
      default: throw new IllegalStateException("unit " + unit);
    }
  }

  private static void number(StringBuilder b, double d) {
    if (Double.isNaN(d) || Double.isInfinite(d)) b.append(Json.str(Double.toString(d)));
    else b.append(d);
  }

  private static void number(StringBuilder b, float f) {
    if (Float.isNaN(f) || Float.isInfinite(f)) b.append(Json.str(Float.toString(f)));
    else b.append(f);
  }

  /** JSON string literals, nothing more. */
  static final class Json {
    static String str(String s) {
      if (s == null) return "null";
      StringBuilder b = new StringBuilder(s.length() + 2).append('"');
      for (int i = 0; i < s.length(); i++) {
        char c = s.charAt(i);
        switch (c) {
          case '"': b.append("\\\""); break;
          case '\\': b.append("\\\\"); break;
          case '\n': b.append("\\n"); break;
          case '\r': b.append("\\r"); break;
          case '\t': b.append("\\t"); break;
          default:
            if (c < 0x20 || c == 0x2028 || c == 0x2029) b.append(String.format("\\u%04x", (int) c));
            else b.append(c);
        }
      }
      return b.append('"').toString();
    }
  }
}
