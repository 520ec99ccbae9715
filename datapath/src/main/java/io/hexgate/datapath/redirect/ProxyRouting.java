package io.hexgate.datapath.redirect;

import io.hexgate.datapath.abi.ProxyMarks;
import io.hexgate.datapath.sys.LibC;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The node's routing for packets the programs mark for the L7 proxy ({@link ProxyMarks#MARK_TO_PROXY}), as
 * Cilium sets it up: rule {@code fwmark 0x200/0xf00 lookup 2004} (priority 9) and route {@code local
 * 0.0.0.0/0 dev lo table 2004}, so the stack delivers such a packet to a local socket whatever its
 * destination address; and reverse-path filtering off on lo, where to_pod's packets for the ingress proxy
 * arrive with a pod's source address, which no route points at lo. Written over rtnetlink, idempotently.
 * Every call works in the calling thread's network namespace (the node's: a {@code NetNsThread}).
 */
public final class ProxyRouting {
  private static final Logger log = LoggerFactory.getLogger(ProxyRouting.class);

  /** Cilium's table for proxy delivery (ROUTE_TABLE_TO_PROXY). */
  public static final int TABLE = 2004;
  /** Cilium's rule priority for it. */
  public static final int PRIORITY = 9;

  private static final int AF_INET = 2;
  private static final int FR_ACT_TO_TBL = 1;
  private static final int FRA_PRIORITY = 6;
  private static final int FRA_FWMARK = 10;
  private static final int FRA_TABLE = 15;
  private static final int FRA_FWMASK = 16;
  private static final int RTA_OIF = 4;
  private static final int RTA_TABLE = 15;
  private static final int RTN_LOCAL = 2;
  private static final int RT_SCOPE_HOST = 254;
  private static final int RTPROT_STATIC = 4;
  private static final int NLM_F_EXCL = 0x200;
  private static final int NLM_F_CREATE = 0x400;
  /**
   * Where the host's network sysctls are writable: a container's own {@code /proc/sys} is read-only, so the
   * agent's DaemonSet mounts the host's {@code /proc/sys/net} here (as Cilium's does); sysctls resolve in the
   * writer's network namespace, the node's.
   */
  public static final Path HOST_PROC_SYS_NET = Path.of("/host/proc/sys/net");

  private ProxyRouting() {}

  /** Installs the rule, the route and the rp_filter settings; what is there already stays. */
  public static void install(String node) {
    try (Rtnetlink nl = new Rtnetlink()) {
      check(nl, nl.request(rule(Rtnetlink.RTM_NEWRULE, NLM_F_CREATE | NLM_F_EXCL)), Rtnetlink.EEXIST, "adding rule");
      check(nl, nl.request(route(Rtnetlink.RTM_NEWROUTE, NLM_F_CREATE | NLM_F_EXCL)), Rtnetlink.EEXIST, "adding route");
    }
    Path ipv4 = (Files.isDirectory(HOST_PROC_SYS_NET) ? HOST_PROC_SYS_NET : Path.of("/proc/sys/net")).resolve("ipv4");
    try {
      relaxReversePathFilter(node, ipv4.resolve("conf"));
      noTcpEarlyDemux(node, ipv4);
    } catch (UncheckedIOException e) {
      // fails closed: without them the kernel drops some proxied packets, it never forwards them past the proxy
      log.error("node {}: cannot set the sysctls the L7 proxy needs ({}); L7-filtered connections from other"
          + " nodes, or on a node with strict rp_filter, will not get through. Mount the host's /proc/sys/net at"
          + " {} writable", node, e.getMessage(), HOST_PROC_SYS_NET);
    }
  }

  /** Removes the rule and the route (decommissioning); what is gone already is fine. */
  public static void remove() {
    try (Rtnetlink nl = new Rtnetlink()) {
      check(nl, nl.request(rule(Rtnetlink.RTM_DELRULE, 0)), Rtnetlink.ENOENT, "removing rule");
      check(nl, nl.request(route(Rtnetlink.RTM_DELROUTE, 0)), Rtnetlink.ENOENT, "removing route");
    }
  }

  private static void check(Rtnetlink nl, int errno, int fine, String what) {
    if (errno != 0 && errno != fine) {
      throw new IllegalStateException(what + " for the L7 proxy (fwmark 0x" + Integer.toHexString(ProxyMarks.MARK_TO_PROXY)
          + "/0x" + Integer.toHexString(ProxyMarks.MARK_MASK) + " lookup " + TABLE + "): " + LibC.describe(errno));
    }
  }

  /** fwmark 0x200/0xf00 lookup 2004, priority 9 (struct fib_rule_hdr, then attributes). */
  private static Rtnetlink.Message rule(int type, int flags) {
    byte[] hdr = {AF_INET, 0, 0, 0, 0, 0, 0, FR_ACT_TO_TBL, 0, 0, 0, 0};
    return new Rtnetlink.Message(type, flags, hdr)
        .u32(FRA_PRIORITY, PRIORITY)
        .u32(FRA_FWMARK, ProxyMarks.MARK_TO_PROXY)
        .u32(FRA_FWMASK, ProxyMarks.MARK_MASK)
        .u32(FRA_TABLE, TABLE);
  }

  /** local 0.0.0.0/0 dev lo table 2004 (struct rtmsg, then attributes). */
  private static Rtnetlink.Message route(int type, int flags) {
    byte[] rtm = {AF_INET, 0, 0, 0, 0, RTPROT_STATIC, (byte) RT_SCOPE_HOST, RTN_LOCAL, 0, 0, 0, 0};
    return new Rtnetlink.Message(type, flags, rtm)
        .u32(RTA_TABLE, TABLE)
        .u32(RTA_OIF, ProxyMarks.LOOPBACK_IFINDEX);
  }

  /**
   * The kernel checks the source of a packet arriving on lo with the larger of lo's and "all"'s rp_filter:
   * strict (1) refuses a pod's address there (its route leads to the pod's interface, not lo); loose (2) and
   * off accept it. So lo's is 0, and "all"'s is lowered from strict to off, as Cilium does.
   */
  private static void relaxReversePathFilter(String node, Path conf) {
    Path lo = conf.resolve("lo/rp_filter");
    if (!read(lo).equals("0")) {
      write(lo, "0");
    }
    Path all = conf.resolve("all/rp_filter");
    if (read(all).equals("1")) {
      write(all, "0");
      log.info("node {}: net.ipv4.conf.all.rp_filter was 1 (strict); set to 0 so that packets for the L7 proxy"
          + " can arrive on lo with a pod's source address (other interfaces keep their own setting)", node);
    }
  }

  /**
   * Early demux attaches the established socket of a packet's tuple while it is being received, before
   * routing; a proxied connection's tuple is also the proxy's socket's (its accepted socket is the server,
   * its upstream the client), so a packet of it arriving from the uplink would carry the proxy's socket to
   * the forwarding path, which drops every packet that carries a socket ({@code ip_forward}), instead of
   * reaching the pod's to_pod and from there the proxy. Without early demux the socket is found after
   * routing, on local delivery only.
   */
  private static void noTcpEarlyDemux(String node, Path ipv4) {
    Path demux = ipv4.resolve("tcp_early_demux");
    if (!read(demux).equals("0")) {
      write(demux, "0");
      log.info("node {}: net.ipv4.tcp_early_demux set to 0: the L7 proxy's sockets share their tuples with"
          + " forwarded connections", node);
    }
  }

  private static String read(Path p) {
    try {
      return Files.readString(p).trim();
    } catch (IOException e) {
      throw new UncheckedIOException("reading " + p, e);
    }
  }

  private static void write(Path p, String value) {
    try {
      Files.writeString(p, value);
    } catch (IOException e) {
      throw new UncheckedIOException("writing " + p, e);
    }
  }
}
