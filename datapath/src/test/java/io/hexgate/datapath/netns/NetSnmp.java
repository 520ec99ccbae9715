package io.hexgate.datapath.netns;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/** The IP and TCP counters of a namespace, as {@code /proc/net/snmp} shows them to a thread inside it. */
public final class NetSnmp {
  private NetSnmp() {}

  /** Counter {@code name} of group {@code group} ("Ip", "Tcp", ...) in the namespace of {@code in}. */
  public static long counter(NetNsThread in, String group, String name) throws Exception {
    List<String> lines = in.call(() -> Files.readAllLines(Path.of("/proc/thread-self/net/snmp"))).stream()
        .filter(l -> l.startsWith(group + ":")).toList();
    int column = List.of(lines.get(0).split(" ")).indexOf(name);
    if (column < 0) {
      throw new IllegalArgumentException("no " + group + " counter " + name + " in /proc/net/snmp");
    }
    return Long.parseLong(lines.get(1).split(" ")[column]);
  }
}
