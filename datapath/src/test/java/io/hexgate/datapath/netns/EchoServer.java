package io.hexgate.datapath.netns;

import io.hexgate.contract.thread.DaemonThreads;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A TCP server inside a namespace that answers each line with {@code NAME:line}: something real to
 * connect to in the lab and the datapath tests. One daemon thread per connection.
 */
public final class EchoServer implements AutoCloseable {
  private final String name;
  private final ServerSocket socket;
  private final Set<Socket> open = ConcurrentHashMap.newKeySet();
  private final AtomicLong accepted = new AtomicLong();

  private EchoServer(String name, ServerSocket socket) {
    this.name = name;
    this.socket = socket;
    DaemonThreads.start("echo-" + name, this::acceptLoop);
  }

  /** Listens on {@code ip:port} inside the namespace {@code thread} lives in. */
  public static EchoServer start(NetNsThread thread, String name, String ip, int port) throws Exception {
    ServerSocket s = thread.call(() -> new ServerSocket(port, 128, InetAddress.getByName(ip)));
    return new EchoServer(name, s);
  }

  /** Listens on the pod's address. */
  public static EchoServer start(PodNetwork pod, int port) throws Exception {
    try (NetNsThread t = pod.enter()) {
      return start(t, pod.name(), pod.ip(), port);
    }
  }

  public long accepted() {
    return accepted.get();
  }

  private void acceptLoop() {
    while (!socket.isClosed()) {
      Socket c;
      try {
        c = socket.accept();
      } catch (IOException e) {
        return;
      }
      accepted.incrementAndGet();
      open.add(c);
      DaemonThreads.start("echo-" + name + "-conn", () -> serve(c));
    }
  }

  private void serve(Socket c) {
    try (c;
        BufferedReader in = new BufferedReader(new InputStreamReader(c.getInputStream(), StandardCharsets.UTF_8))) {
      OutputStream out = c.getOutputStream();
      String line;
      while ((line = in.readLine()) != null) {
        out.write((name + ":" + line + "\n").getBytes(StandardCharsets.UTF_8));
        out.flush();
      }
    } catch (IOException ignored) {
      // the peer went away or the server closed: nothing to answer
    } finally {
      open.remove(c);
    }
  }

  /** Closes every open connection from the server's side, which then holds them in TIME_WAIT. */
  public void closeConnections() throws IOException {
    for (Socket c : open) {
      c.close();
    }
  }

  @Override
  public void close() throws IOException {
    socket.close();
    for (Socket c : open) {
      c.close();
    }
  }
}
