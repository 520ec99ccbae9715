package io.hexgate.datapath.maps;

import io.hexgate.contract.net.Ipv4;
import io.hexgate.datapath.abi.IpcacheHostKey;
import io.hexgate.datapath.abi.IpcacheKey;
import io.hexgate.datapath.abi.IpcacheValue;
import java.util.Map;
import java.util.TreeSet;

/** The IP cache as the program reads it: the /32 entry, else longest-prefix match, else world (2). */
public final class IpcacheTable {
  private final Map<IpcacheHostKey, IpcacheValue> hosts;
  private final Map<IpcacheKey, IpcacheValue> entries;
  private final int[] lengths;

  public IpcacheTable(Map<IpcacheHostKey, IpcacheValue> hosts, Map<IpcacheKey, IpcacheValue> entries) {
    this.hosts = hosts;
    this.entries = entries;
    TreeSet<Integer> l = new TreeSet<>();
    entries.keySet().forEach(k -> l.add(k.prefixLen()));
    this.lengths = l.descendingSet().stream().mapToInt(Integer::intValue).toArray();
  }

  public int identityOf(int addr) {
    IpcacheValue host = hosts.get(new IpcacheHostKey(addr));
    if (host != null) {
      return host.identity();
    }
    for (int len : lengths) {
      IpcacheValue v = entries.get(new IpcacheKey(len, addr & Ipv4.mask(len)));
      if (v != null) {
        return v.identity();
      }
    }
    return io.hexgate.datapath.abi.IpcacheValue.IDENTITY_WORLD;
  }
}
