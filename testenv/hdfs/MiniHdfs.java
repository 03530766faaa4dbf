import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.File;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Executors;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.hadoop.fs.permission.FsPermission;
import org.apache.hadoop.hdfs.MiniDFSCluster;
import org.apache.hadoop.hdfs.server.datanode.DataNode;
import org.apache.hadoop.hdfs.server.namenode.NameNode;
import org.apache.hadoop.security.UserGroupInformation;

/**
 * A real HDFS (Hadoop's own NameNode and DataNode code, from hadoop-client-minicluster) on
 * loopback, in one JVM, for scripts/real-env.sh: one NameNode on a fixed port and three DataNodes,
 * replication 3, plus a small control HTTP server for fault injection.
 *
 * <pre>
 *   MiniHdfs --base DIR --nn-port P --control-port C [--datanodes 3] [--no-format] [--conf KEY=VALUE]...
 *            [--mkdir PATH=MODE]...
 *
 *   GET  /status                 {"ready":true,"namenode_port":P,"datanodes":[{"index":0,"xfer_port":..,"alive":true},..]}
 *   POST /kill-datanode?n=N      stop DataNode N (0-based, stable across restarts); its port stays reserved
 *   POST /restart-datanode?n=N   start DataNode N again on the same ports and storage
 *   POST /restart-namenode       restart the NameNode on the same port; returns once it is active
 *                                and out of safe mode
 *   POST /shutdown               stop everything and exit
 * </pre>
 *
 * Only timing knobs are lowered (heartbeats, dead-node detection, redundancy monitor, safe-mode
 * extension) so that a killed DataNode is noticed in seconds. Leases, permissions, replication and
 * fsync are those of a real cluster.
 *
 * <p>With hadoop.security.authentication=kerberos among the --conf settings (scripts/real-env-secure.sh
 * passes them), the process logs in from dfs.namenode.keytab.file as dfs.namenode.kerberos.principal
 * before anything else, so that formatting, the NameNode, the DataNodes and the --mkdir calls all act
 * as that service principal (the cluster's superuser). --mkdir makes a directory with a mode (octal)
 * once the cluster is up: on a secure cluster the clients are other principals, who may not write
 * under the superuser's "/".
 */
public final class MiniHdfs {
  private final MiniDFSCluster cluster;
  private final int nnPort;
  /** Slot n: the running DataNode, or null while it is stopped. */
  private final DataNode[] running;
  /** Slot n: what restartDataNode needs, while it is stopped. */
  private final MiniDFSCluster.DataNodeProperties[] stopped;
  private final int[] xferPorts;

  private MiniHdfs(MiniDFSCluster cluster, int nnPort, int n) {
    this.cluster = cluster;
    this.nnPort = nnPort;
    running = new DataNode[n];
    stopped = new MiniDFSCluster.DataNodeProperties[n];
    xferPorts = new int[n];
    List<DataNode> dns = cluster.getDataNodes();
    for (int i = 0; i < n; i++) {
      running[i] = dns.get(i);
      xferPorts[i] = dns.get(i).getXferPort();
    }
  }

  static Configuration conf(String base) {
    Configuration conf = new Configuration();
    conf.set(MiniDFSCluster.HDFS_MINIDFS_BASEDIR, base);
    conf.setInt("dfs.replication", 3);
    // Heartbeats every second; a DataNode is declared dead after
    // 2 * recheck-interval + 10 * heartbeat = 2 * 1 s + 10 * 1 s = 12 s (default 10.5 min). With
    // three DataNodes and replication 3 the NameNode keeps placing a killed DataNode in new
    // pipelines until then: stale-node avoidance gives up when it leaves too few nodes.
    conf.setLong("dfs.heartbeat.interval", 1);
    conf.setInt("dfs.namenode.heartbeat.recheck-interval", 1000);
    // Stale (not used for new pipelines when avoid.write.stale is on) after 4 s without heartbeat.
    conf.setLong("dfs.namenode.stale.datanode.interval", 4000);
    conf.setBoolean("dfs.namenode.avoid.read.stale.datanode", true);
    conf.setBoolean("dfs.namenode.avoid.write.stale.datanode", true);
    // Re-replication of under-replicated blocks is scheduled every second (default 3 s) and a
    // pending reconstruction is retried after 10 s (default 5 min).
    conf.setInt("dfs.namenode.redundancy.interval.seconds", 1);
    conf.setInt("dfs.namenode.reconstruction.pending.timeout-sec", 10);
    // Incremental block reports go out at once (as by default); full block reports every 10 min.
    conf.setLong("dfs.blockreport.intervalMsec", 600_000L);
    // Leave safe mode as soon as the blocks are reported (default: 30 s later).
    conf.setInt("dfs.namenode.safemode.extension", 0);
    // The NameNode reports DataNodes by IP (127.0.0.1); never look names up.
    conf.setBoolean("dfs.namenode.datanode.registration.ip-hostname-check", false);
    conf.set("dfs.datanode.address", "127.0.0.1:0");
    conf.set("dfs.datanode.http.address", "127.0.0.1:0");
    conf.set("dfs.datanode.ipc.address", "127.0.0.1:0");
    conf.set("dfs.namenode.http-address", "127.0.0.1:0");
    return conf;
  }

  public static void main(String[] args) throws Exception {
    String base = null;
    int nnPort = 0, controlPort = 0, n = 3;
    boolean format = true;
    java.util.Map<String, String> extra = new java.util.LinkedHashMap<>();
    java.util.Map<String, Short> mkdirs = new java.util.LinkedHashMap<>();
    for (int i = 0; i < args.length; i++) {
      switch (args[i]) {
        case "--base": base = args[++i]; break;
        case "--nn-port": nnPort = Integer.parseInt(args[++i]); break;
        case "--control-port": controlPort = Integer.parseInt(args[++i]); break;
        case "--datanodes": n = Integer.parseInt(args[++i]); break;
        case "--no-format": format = false; break;
        case "--conf": {
          String kv = args[++i];
          int eq = kv.indexOf('=');
          if (eq <= 0) throw new IllegalArgumentException("--conf wants KEY=VALUE, not " + kv);
          extra.put(kv.substring(0, eq), kv.substring(eq + 1));
          break;
        }
        case "--mkdir": {
          String pm = args[++i];
          int eq = pm.lastIndexOf('=');
          if (eq <= 0) throw new IllegalArgumentException("--mkdir wants PATH=MODE, not " + pm);
          mkdirs.put(pm.substring(0, eq), Short.parseShort(pm.substring(eq + 1), 8));
          break;
        }
        default:
          System.err.println("usage: MiniHdfs --base DIR --nn-port P --control-port C [--datanodes N] [--no-format] [--conf KEY=VALUE]... [--mkdir PATH=MODE]...");
          System.exit(2);
      }
    }
    if (base == null || nnPort == 0 || controlPort == 0) {
      System.err.println("MiniHdfs: --base, --nn-port and --control-port are required");
      System.exit(2);
    }
    new File(base).mkdirs();
    long t0 = System.nanoTime();
    Configuration conf = conf(base);
    extra.forEach(conf::set);
    if ("kerberos".equalsIgnoreCase(conf.get("hadoop.security.authentication"))) {
      UserGroupInformation.setConfiguration(conf);
      UserGroupInformation.loginUserFromKeytab(conf.get("dfs.namenode.kerberos.principal"), conf.get("dfs.namenode.keytab.file"));
    }
    MiniDFSCluster cluster =
        new MiniDFSCluster.Builder(conf, new File(base))
            .nameNodePort(nnPort)
            .nameNodeHttpPort(0)
            .numDataNodes(n)
            .format(format)
            .manageNameDfsDirs(true)
            .manageDataDfsDirs(true)
            .checkDataNodeAddrConfig(true)
            // A real DataNode fsyncs on hsync and block close; MiniDFSCluster skips it unless told.
            .skipFsyncForTesting(false)
            .waitSafeMode(true)
            .build();
    cluster.waitActive();
    MiniHdfs m = new MiniHdfs(cluster, cluster.getNameNodePort(), n);
    m.waitOutOfSafeMode();
    if (!mkdirs.isEmpty()) {
      FileSystem fs = cluster.getFileSystem();
      for (java.util.Map.Entry<String, Short> e : mkdirs.entrySet()) {
        Path p = new Path(e.getKey());
        fs.mkdirs(p);
        fs.setPermission(p, new FsPermission(e.getValue())); // mkdirs applies the umask
      }
    }
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      try {
        cluster.shutdown();
      } catch (Throwable t) {
        // exiting anyway
      }
    }));
    HttpServer server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), controlPort), 16);
    server.setExecutor(Executors.newFixedThreadPool(2));
    server.createContext("/", ex -> m.handle(ex, server));
    server.start();
    System.out.printf("MiniHdfs ready in %.1f s: namenode 127.0.0.1:%d, control 127.0.0.1:%d, %s%n",
        (System.nanoTime() - t0) / 1e9, m.nnPort, controlPort, m.status());
    System.out.flush();
  }

  private void waitOutOfSafeMode() throws IOException {
    long deadline = System.currentTimeMillis() + 120_000;
    NameNode nn = cluster.getNameNode();
    while (nn.isInSafeMode()) {
      if (System.currentTimeMillis() > deadline) throw new IOException("NameNode still in safe mode after 120 s");
      sleep(100);
    }
  }

  /** The NameNode's web port: HTTP, or HTTPS under dfs.http.policy=HTTPS_ONLY (no HTTP server then). */
  private int webPort() {
    NameNode nn = cluster.getNameNode();
    InetSocketAddress a = nn.getHttpAddress() != null ? nn.getHttpAddress() : nn.getHttpsAddress();
    return a == null ? 0 : a.getPort();
  }

  private synchronized String status() {
    StringBuilder b = new StringBuilder();
    b.append("{\"ready\":true,\"namenode_port\":").append(nnPort)
        .append(",\"namenode_http_port\":").append(webPort())
        .append(",\"datanodes\":[");
    for (int i = 0; i < running.length; i++) {
      if (i > 0) b.append(',');
      DataNode dn = running[i];
      b.append("{\"index\":").append(i)
          .append(",\"xfer_port\":").append(xferPorts[i])
          .append(",\"alive\":").append(dn != null && dn.isDatanodeUp());
      if (dn != null) b.append(",\"uuid\":\"").append(dn.getDatanodeUuid()).append('"');
      b.append('}');
    }
    return b.append("]}").toString();
  }

  private int slot(HttpExchange ex) throws IOException {
    String q = ex.getRequestURI().getQuery();
    if (q != null) {
      for (String kv : q.split("&")) {
        if (kv.startsWith("n=")) {
          int n = Integer.parseInt(kv.substring(2));
          if (n < 0 || n >= running.length) throw new IllegalArgumentException("no DataNode " + n + " (0.." + (running.length - 1) + ")");
          return n;
        }
      }
    }
    throw new IllegalArgumentException("missing ?n=N");
  }

  private synchronized String killDataNode(int n) {
    if (running[n] == null) return status();
    int idx = cluster.getDataNodes().indexOf(running[n]);
    stopped[n] = cluster.stopDataNode(idx);
    running[n] = null;
    return status();
  }

  private synchronized String restartDataNode(int n) throws IOException {
    if (running[n] != null) return status();
    List<DataNode> before = new ArrayList<>(cluster.getDataNodes());
    if (!cluster.restartDataNode(stopped[n], true)) throw new IOException("restartDataNode " + n + " failed");
    for (DataNode dn : cluster.getDataNodes()) {
      if (!before.contains(dn)) running[n] = dn;
    }
    stopped[n] = null;
    // Registered with the NameNode again (waitActive waits for every running DataNode).
    cluster.waitActive();
    return status();
  }

  private synchronized String restartNameNode() throws IOException {
    cluster.restartNameNode(true);
    waitOutOfSafeMode();
    return status();
  }

  private void handle(HttpExchange ex, HttpServer server) throws IOException {
    String path = ex.getRequestURI().getPath();
    String method = ex.getRequestMethod();
    int code = 200;
    String body;
    boolean exit = false;
    try {
      if (path.equals("/status") && method.equals("GET")) {
        body = status();
      } else if (!method.equals("POST")) {
        code = 405;
        body = "{\"error\":\"use GET /status or POST\"}";
      } else if (path.equals("/kill-datanode")) {
        body = killDataNode(slot(ex));
      } else if (path.equals("/restart-datanode")) {
        body = restartDataNode(slot(ex));
      } else if (path.equals("/restart-namenode")) {
        body = restartNameNode();
      } else if (path.equals("/shutdown")) {
        body = "{\"shutdown\":true}";
        exit = true;
      } else {
        code = 404;
        body = "{\"error\":\"unknown path " + path + "\"}";
      }
    } catch (Throwable t) {
      code = t instanceof IllegalArgumentException ? 400 : 500;
      body = "{\"error\":\"" + String.valueOf(t).replace("\\", "\\\\").replace("\"", "\\\"").replace("\n", " ") + "\"}";
    }
    byte[] b = (body + "\n").getBytes(StandardCharsets.UTF_8);
    ex.getResponseHeaders().set("Content-Type", "application/json");
    ex.sendResponseHeaders(code, b.length);
    try (OutputStream os = ex.getResponseBody()) {
      os.write(b);
    }
    if (exit) {
      new Thread(() -> {
        server.stop(0);
        cluster.shutdown();
        System.exit(0);
      }).start();
    }
  }

  private static void sleep(long ms) {
    try {
      Thread.sleep(ms);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
