package io.hexgate.datapath.netns;

import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetSocketAddress;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * UDP datagrams sent from one namespace and counted where they arrive: traffic with no retransmission, so
 * that what the datapath sees of it (one connection per source port, one packet per datagram) is exact.
 */
public final class UdpProbe {
  private static final Duration ARRIVAL = Duration.ofSeconds(1);

  private UdpProbe() {}

  /**
   * Sends {@code count} datagrams from one socket bound to {@code srcIp} (a free port) in {@code sender}'s
   * namespace to {@code toIp:port}, received on a socket bound there in {@code receiver}'s; returns how many
   * arrived within a second.
   */
  public static int delivered(NetNsThread sender, String srcIp, NetNsThread receiver, String toIp, int port, int count)
      throws Exception {
    return send(sender, srcIp, receiver, toIp, port, count, false);
  }

  /** As {@link #delivered}, each datagram from a socket (a source port) of its own: {@code count} connections. */
  public static int deliveredFromDistinctPorts(NetNsThread sender, String srcIp, NetNsThread receiver, String toIp,
      int port, int count) throws Exception {
    return send(sender, srcIp, receiver, toIp, port, count, true);
  }

  private static int send(NetNsThread sender, String srcIp, NetNsThread receiver, String toIp, int port, int count,
      boolean socketEach) throws Exception {
    try (DatagramSocket rx = receiver.call(() -> new DatagramSocket(new InetSocketAddress(toIp, port)))) {
      rx.setSoTimeout(200);
      sender.call(() -> {
        byte[] data = "probe".getBytes(StandardCharsets.US_ASCII);
        DatagramPacket d = new DatagramPacket(data, data.length, new InetSocketAddress(toIp, port));
        // every socket stays open until all are sent: a closed one's port could be the next one's
        List<DatagramSocket> open = new ArrayList<>();
        try {
          DatagramSocket tx = null;
          for (int i = 0; i < count; i++) {
            if (tx == null || socketEach) {
              tx = new DatagramSocket(new InetSocketAddress(srcIp, 0));
              open.add(tx);
            }
            tx.send(d);
          }
        } finally {
          open.forEach(DatagramSocket::close);
        }
        return null;
      });
      int got = 0;
      long deadline = System.nanoTime() + ARRIVAL.toNanos();
      DatagramPacket p = new DatagramPacket(new byte[64], 64);
      while (got < count && System.nanoTime() < deadline) {
        try {
          rx.receive(p);
          got++;
        } catch (SocketTimeoutException e) {
          // keep waiting until the deadline
        }
      }
      return got;
    }
  }
}
