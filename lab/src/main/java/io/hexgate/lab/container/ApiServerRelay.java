package io.hexgate.lab.container;

import io.hexgate.contract.thread.DaemonThreads;
import io.hexgate.datapath.netns.Commands;
import io.hexgate.datapath.netns.NetNs;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.time.Duration;
import java.util.List;
import java.util.Map;

/**
 * How containers on a lab node reach the API server, which listens on the machine's loopback: the node
 * has {@value #ADDRESS} on its loopback, and this relay listens there on port {@value #PORT} (inside the
 * node's namespace) and passes every connection on, unchanged (TLS end to end), to the API server. Pods
 * of the node route to it through the node; {@code hostNetwork} pods reach it directly. The API server's
 * serving certificate names the address.
 */
public final class ApiServerRelay implements AutoCloseable {
  /** The same on every node: a pod's in-cluster configuration need not know its node. */
  public static final String ADDRESS = "172.31.0.1";
  public static final int PORT = 6443;

  private final ServerSocket server;
  private final InetSocketAddress target;
  private volatile boolean closed;

  private ApiServerRelay(ServerSocket server, InetSocketAddress target) {
    this.server = server;
    this.target = target;
  }

  /** What a kubelet puts in every container's environment for the API server. */
  public static Map<String, String> serviceEnv() {
    return Map.of("KUBERNETES_SERVICE_HOST", ADDRESS, "KUBERNETES_SERVICE_PORT", Integer.toString(PORT),
        "KUBERNETES_SERVICE_PORT_HTTPS", Integer.toString(PORT), "KUBERNETES_PORT", "tcp://" + ADDRESS + ":" + PORT);
  }

  /** Starts relaying from {@value #ADDRESS}:{@value #PORT} in node namespace {@code nodeNetns} to {@code apiServer}. */
  public static ApiServerRelay start(String nodeNetns, URI apiServer) throws Exception {
    Commands.check("ip", "-n", nodeNetns, "addr", "add", ADDRESS + "/32", "dev", "lo");
    ServerSocket s = NetNs.call(nodeNetns, () -> {
      ServerSocket ss = new ServerSocket();
      ss.setReuseAddress(true);
      ss.bind(new InetSocketAddress(ADDRESS, PORT), 128);
      return ss;
    });
    int port = apiServer.getPort() > 0 ? apiServer.getPort() : "https".equals(apiServer.getScheme()) ? 443 : 80;
    ApiServerRelay r = new ApiServerRelay(s, new InetSocketAddress(apiServer.getHost(), port));
    DaemonThreads.start("lab-api-relay-" + nodeNetns, r::accept);
    return r;
  }

  private void accept() {
    while (!closed) {
      try {
        Socket in = server.accept();
        // connected from this thread, in the machine's namespace, where the API server listens
        Socket out = new Socket();
        try {
          out.connect(target, 5000);
        } catch (IOException e) {
          in.close();
          out.close();
          continue;
        }
        DaemonThreads.start("lab-api-relay-up", () -> pump(in, out));
        DaemonThreads.start("lab-api-relay-down", () -> pump(out, in));
      } catch (IOException e) {
        if (!closed) {
          try {
            Thread.sleep(100);
          } catch (InterruptedException ie) {
            return;
          }
        }
      }
    }
  }

  private static void pump(Socket from, Socket to) {
    try (InputStream in = from.getInputStream(); OutputStream out = to.getOutputStream()) {
      in.transferTo(out);
    } catch (IOException e) {
      // one side went: the other follows below
    } finally {
      try {
        from.close();
        to.close();
      } catch (IOException e) {
        // closed already
      }
    }
  }

  @Override
  public void close() throws IOException {
    closed = true;
    server.close();
  }
}
