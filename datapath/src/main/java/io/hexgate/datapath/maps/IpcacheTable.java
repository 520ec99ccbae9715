package io.hexgate.datapath.maps;

import io.hexgate.datapath.maps.Layouts.IpcacheKey;
import io.hexgate.datapath.maps.Layouts.IpcacheValue;
import java.util.Map;
import java.util.TreeSet;

/** hg_ipcache as the program reads it: longest-prefix match, no match = world (2). */
public final class IpcacheTable {
  private final Map<IpcacheKey, IpcacheValue> entries;
  private final int[] lengths;

  public IpcacheTable(Map<IpcacheKey, IpcacheValue> entries) {
    this.entries = entries;
    TreeSet<Integer> l = new TreeSet<>();
    entries.keySet().forEach(k -> l.add(k.prefixLen()));
    this.lengths = l.descendingSet().stream().mapToInt(Integer::intValue).toArray();
  }

  public int identityOf(int addr) {
    for (int len : lengths) {
      IpcacheValue v = entries.get(new IpcacheKey(len, Layouts.mask(addr, len)));
      if (v != null) {
        return v.identity();
      }
    }
    return Layouts.IDENTITY_WORLD;
  }
}
