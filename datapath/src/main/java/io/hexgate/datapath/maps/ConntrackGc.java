package io.hexgate.datapath.maps;

import io.hexgate.datapath.abi.CtFlags;
import io.hexgate.datapath.abi.CtKey;
import io.hexgate.datapath.abi.CtValue;
import io.hexgate.datapath.abi.Directions;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * One pass of the conntrack garbage collector over a CT table (the kernel's, read by the agent, or the Java
 * twin's): which entries go, and how many connections each endpoint has left.
 *
 * <p>A connection is its entry plus its reply entry (and, for a service connection, the service entry of
 * its frontend tuple); it lives while either of its two entries has not expired (the program treats an
 * expired entry as absent, and records the connection afresh when its next request is allowed). It goes,
 * all its entries with it, when both have expired, or when it was judged at an older policy generation and
 * {@link ConntrackRevalidator} no longer allows it: so idle connections are cut too, which the program
 * would otherwise only judge when their next packet comes. A reply entry without its connection, and a
 * service entry, go when they expire. Live connection entries are counted per endpoint for the quota
 * counters (hg_ct_counts).
 */
public final class ConntrackGc {
  private ConntrackGc() {}

  /**
   * @param deletions the keys to delete
   * @param counts live connections per endpoint id
   * @param expired connections (or lone entries) deleted because they expired
   * @param cut connections deleted because the current maps no longer allow them
   * @param live entries left
   */
  /** Expired, or closing and due before {@code reclaimClosingBefore}. */
  private static boolean over(CtValue v, long now, long reclaimClosingBefore) {
    return v.expiredAt(now) || ((v.flags() & CtFlags.CT_CLOSING) != 0 && v.expires() < reclaimClosingBefore);
  }

  public record Pass(List<CtKey> deletions, Map<Integer, Integer> counts, int expired, int cut, int live) {}

  public static Pass plan(Map<CtKey, CtValue> entries, long now, int generation, ConntrackRevalidator judge) {
    return plan(entries, now, Long.MIN_VALUE, generation, judge);
  }

  /**
   * As {@link #plan(Map, long, int, ConntrackRevalidator)}, and a TCP entry that is closing (a FIN or RST
   * passed it) and would expire before {@code reclaimClosingBefore} counts as expired too: under pressure
   * the agent reclaims connections that are closing anyway before the map is full. A preallocated hash
   * never evicts, so without this a node accepting many short connections would fill it with closing ones
   * (they live for the closing lifetime) and refuse new connections (155), where an LRU map would have
   * dropped those first.
   */
  public static Pass plan(Map<CtKey, CtValue> entries, long now, long reclaimClosingBefore, int generation,
      ConntrackRevalidator judge) {
    Set<CtKey> gone = new LinkedHashSet<>();
    Map<Integer, Integer> counts = new HashMap<>();
    int expired = 0;
    int cut = 0;
    for (Map.Entry<CtKey, CtValue> e : entries.entrySet()) {
      CtKey k = e.getKey();
      CtValue v = e.getValue();
      if (k.direction() == Directions.DIR_SERVICE) {
        if (v.expiredAt(now)) {
          gone.add(k);
          expired++;
        }
        continue;
      }
      if (v.isReply()) {
        CtValue conn = entries.get(k.reply());
        if (conn != null && !conn.isReply()) {
          continue; // goes or stays with its connection
        }
        if (over(v, now, reclaimClosingBefore)) {
          gone.add(k);
          expired++;
        } else if (v.generation() != generation && !judge.stillAllowed(k, v)) {
          gone.add(k);
          cut++;
        }
        continue;
      }
      CtKey r = k.reply();
      CtValue rv = entries.get(r);
      boolean hasReply = rv != null && rv.isReply();
      boolean dead;
      if (over(v, now, reclaimClosingBefore) && (!hasReply || over(rv, now, reclaimClosingBefore))) {
        dead = true;
        expired++;
      } else if (v.generation() != generation && !judge.stillAllowed(k, v)) {
        dead = true;
        cut++;
      } else {
        dead = false;
      }
      if (!dead) {
        // a closing connection no longer counts against the quota (ct_uncharge)
        if ((v.flags() & CtFlags.CT_CLOSING) == 0) {
          counts.merge(v.endpoint(), 1, Integer::sum);
        }
        continue;
      }
      gone.add(k);
      if (hasReply) {
        gone.add(r);
      }
      if ((v.flags() & CtFlags.CT_NAT) != 0 && k.direction() == Directions.DIR_EGRESS) {
        CtKey svc = new CtKey(k.saddr(), v.natAddr(), k.sport(), v.natPort(), k.protocol(), Directions.DIR_SERVICE);
        if (entries.containsKey(svc)) {
          gone.add(svc);
        }
      }
    }
    return new Pass(new ArrayList<>(gone), counts, expired, cut, entries.size() - gone.size());
  }
}
