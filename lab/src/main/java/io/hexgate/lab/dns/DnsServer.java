package io.hexgate.lab.dns;

import io.hexgate.contract.net.Ipv4;
import io.hexgate.contract.thread.DaemonThreads;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.DatagramChannel;
import java.util.ArrayList;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The lab's DNS server (UDP): authoritative for the cluster zone from {@link ClusterDns}, answering
 * NXDOMAIN for names in the zone that do not exist, an empty answer for other record types of names that
 * do (so a resolver asking for A and AAAA together gets the A record), and REFUSED for names outside the
 * zone: it forwards nothing, pods reach no world resolver.
 *
 * <p>The caller opens the channel, so it can bind it inside a pod's network namespace (on a thread that
 * entered it); serving may then happen on any thread.
 */
public final class DnsServer implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(DnsServer.class);
  static final int TTL_SECONDS = 5;

  private final DatagramChannel channel;
  private final ClusterDns dns;
  private final Thread thread;

  private DnsServer(DatagramChannel channel, ClusterDns dns) {
    this.channel = channel;
    this.dns = dns;
    this.thread = DaemonThreads.thread("hexgate-lab-dns", this::serve);
  }

  /** Opens a UDP channel bound to {@code address} on the calling thread's network namespace. */
  public static DatagramChannel bind(InetSocketAddress address) throws IOException {
    DatagramChannel ch = DatagramChannel.open();
    try {
      ch.bind(address);
    } catch (IOException e) {
      ch.close();
      throw new IOException("cannot bind the lab's DNS server to " + address + ": " + e.getMessage(), e);
    }
    return ch;
  }

  /** Serves queries arriving on {@code channel} until closed. */
  public static DnsServer serve(DatagramChannel channel, ClusterDns dns) {
    DnsServer s = new DnsServer(channel, dns);
    s.thread.start();
    return s;
  }

  public InetSocketAddress address() throws IOException {
    return (InetSocketAddress) channel.getLocalAddress();
  }

  private void serve() {
    ByteBuffer in = ByteBuffer.allocate(1500);
    while (channel.isOpen()) {
      SocketAddress from;
      try {
        in.clear();
        from = channel.receive(in);
      } catch (ClosedChannelException e) {
        return;
      } catch (IOException e) {
        log.warn("lab DNS: receive failed: {}", e.getMessage());
        continue;
      }
      byte[] reply = answer(in.array(), in.position());
      if (reply != null) {
        try {
          channel.send(ByteBuffer.wrap(reply), from);
        } catch (IOException e) {
          log.debug("lab DNS: cannot answer {}: {}", from, e.getMessage());
        }
      }
    }
  }

  /** The reply to one query packet, or null when it deserves none (not a query at all). */
  byte[] answer(byte[] packet, int length) {
    DnsMessage.Query q;
    try {
      q = DnsMessage.parseQuery(packet, length);
    } catch (IllegalArgumentException e) {
      if (length < 12) {
        return null;
      }
      return DnsMessage.answer(new DnsMessage.Query(((packet[0] & 0xff) << 8) | packet[1] & 0xff, 0, List.of()), DnsMessage.RCODE_FORMAT_ERROR, List.of(), 0);
    }
    if (q.isResponse()) {
      return null;
    }
    if (q.opcode() != 0 || q.questions().size() != 1) {
      return DnsMessage.answer(q, DnsMessage.RCODE_NOT_IMPLEMENTED, List.of(), 0);
    }
    DnsMessage.Question question = q.questions().get(0);
    if (!dns.inZone(question.name()) || question.klass() != DnsMessage.CLASS_IN) {
      return DnsMessage.answer(q, DnsMessage.RCODE_REFUSED, List.of(), 0);
    }
    ClusterDns.Lookup found = dns.lookup(question.name());
    if (!found.exists()) {
      return DnsMessage.answer(q, DnsMessage.RCODE_NAME_ERROR, List.of(), 0);
    }
    List<byte[]> addresses = new ArrayList<>();
    if (question.type() == DnsMessage.TYPE_A) {
      for (String a : found.addresses()) {
        addresses.add(Ipv4.bytes(Ipv4.parse(a)));
      }
    }
    return DnsMessage.answer(q, DnsMessage.RCODE_OK, addresses, TTL_SECONDS);
  }

  @Override
  public void close() {
    try {
      channel.close();
    } catch (IOException e) {
      // closing a datagram channel releases the port whatever it reports
    }
  }
}
