package io.hexgate.lab.workload;

import io.hexgate.lab.dns.ClusterDns;
import io.hexgate.lab.dns.DnsServer;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.channels.DatagramChannel;

/** The lab's DNS server as a pod's workload: UDP port 53 on every address of the pod. */
public final class DnsWorkload implements Workload {
  public static final int PORT = 53;
  private final DnsServer server;

  private DnsWorkload(DnsServer server) {
    this.server = server;
  }

  /** Binds port 53 on the calling thread's network namespace, then serves from a thread of its own. */
  public static DnsWorkload bind(ClusterDns dns) throws IOException {
    DatagramChannel ch = DnsServer.bind(new InetSocketAddress(PORT));
    return new DnsWorkload(DnsServer.serve(ch, dns));
  }

  @Override
  public String describe() {
    return "cluster DNS (" + "UDP " + PORT + ")";
  }

  @Override
  public void close() {
    server.close();
  }
}
