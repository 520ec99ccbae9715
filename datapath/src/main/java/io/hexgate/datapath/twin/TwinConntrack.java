package io.hexgate.datapath.twin;

import io.hexgate.datapath.abi.Config;
import io.hexgate.datapath.abi.CtFlags;
import io.hexgate.datapath.abi.Directions;
import io.hexgate.datapath.abi.Protocols;
import static io.hexgate.datapath.abi.Directions.DIR_EGRESS;
import static io.hexgate.datapath.abi.Directions.DIR_SERVICE;

import io.hexgate.datapath.maps.ConntrackGc;
import io.hexgate.datapath.maps.ConntrackRevalidator;
import io.hexgate.datapath.abi.CtKey;
import io.hexgate.datapath.abi.CtValue;
import io.hexgate.datapath.abi.EndpointKey;
import io.hexgate.datapath.abi.EndpointValue;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * hg_ct and hg_ct_counts with the program's conntrack helpers: ct_lookup_live (judging an entry of an
 * older generation again), ct_record, ct_touch, ct_forget and the per-endpoint quota. Unlike the kernel's
 * map it has no size limit. Not thread-safe: {@link JavaDatapath} runs one packet at a time.
 */
final class TwinConntrack {
  private final Map<CtKey, CtValue> ct = new LinkedHashMap<>();
  private final Map<Integer, Integer> counts = new HashMap<>();
  private Config config;
  private ConntrackRevalidator judge;
  private Map<EndpointKey, EndpointValue> endpoints = Map.of();

  TwinConntrack(Config config) {
    this.config = config;
  }

  /** The maps connections are judged again against, and whose endpoints count as local. */
  void use(ConntrackRevalidator judge, Map<EndpointKey, EndpointValue> endpoints) {
    this.judge = judge;
    this.endpoints = endpoints;
  }

  void configure(Config next) {
    this.config = next;
  }


  CtValue get(CtKey key) {
    return ct.get(key);
  }

  void put(CtKey key, CtValue value) {
    ct.put(key, value);
  }

  Map<CtKey, CtValue> entries() {
    return Collections.unmodifiableMap(new LinkedHashMap<>(ct));
  }

  Map<Integer, Integer> counts() {
    return Map.copyOf(counts);
  }

  void clear() {
    ct.clear();
    counts.clear();
  }

  /** The agent's GC pass ({@link ConntrackGc}): deletes what it plans and takes its recount of the quota counters. */
  ConntrackGc.Pass collectGarbage(long now) {
    ConntrackGc.Pass pass = ConntrackGc.plan(ct, now, config.generation(), judge);
    pass.deletions().forEach(ct::remove);
    counts.clear();
    counts.putAll(pass.counts());
    return pass;
  }

  static boolean isReplyEntry(CtValue v) {
    return (v.flags() & CtFlags.CT_REPLY) != 0;
  }

  /**
   * ct_lookup_live: the entry if not expired and judged at the current generation, or still allowed when
   * judged again (then stamped); a connection no longer allowed is forgotten, both its entries.
   */
  CtValue lookupLive(CtKey key, long now) {
    CtValue v = ct.get(key);
    if (v == null || now >= v.expires()) {
      return null;
    }
    if (v.generation() == config.generation() || key.direction() == DIR_SERVICE) {
      return v;
    }
    if (judge.stillAllowed(key, v)) {
      CtValue stamped = v.withGeneration(config.generation());
      ct.put(key, stamped);
      return stamped;
    }
    forget(isReplyEntry(v) ? key.reply() : key);
    return null;
  }

  /** ct_forget: the connection and its reply entry, not an entry of a connection the other way. */
  void forget(CtKey key) {
    CtKey r = key.reply();
    CtValue v = ct.get(r);
    ct.remove(key);
    if (v != null && isReplyEntry(v)) {
      ct.remove(r);
    }
  }

  /** ct_record; the twin forwards rather than routes, but records CT_LOCAL as the kernel does. */
  boolean record(CtKey key, CtValue entry, long now) {
    boolean egress = key.direction() == DIR_EGRESS;
    boolean local = endpoints.containsKey(new EndpointKey(egress ? key.daddr() : key.saddr()));
    if (!charge(entry.endpoint())) {
      return false;
    }
    ct.put(key, entry.withFlags(entry.flags() | (local && egress ? CtFlags.CT_LOCAL : 0)));
    if ((entry.flags() & CtFlags.CT_MIDSTREAM) != 0) {
      return true;
    }
    CtKey r = key.reply();
    CtValue there = ct.get(r);
    if (there == null || isReplyEntry(there) || now >= there.expires()) {
      ct.put(r, entry.withFlags(entry.flags() | CtFlags.CT_REPLY | (local && !egress ? CtFlags.CT_LOCAL : 0)));
    }
    return true;
  }

  /** ct_charge: counts a connection against its endpoint's quota; false when it is used up. */
  private boolean charge(int endpoint) {
    if (config.ctQuota() == 0) {
      return true;
    }
    int n = counts.getOrDefault(endpoint, 0);
    if (n >= config.ctQuota()) {
      return false;
    }
    counts.put(endpoint, n + 1);
    return true;
  }

  /** ct_uncharge: a connection that starts closing no longer counts against the quota. */
  private void uncharge(int endpoint) {
    if (config.ctQuota() == 0) {
      return;
    }
    int n = counts.getOrDefault(endpoint, 0);
    if (n > 0) {
      counts.put(endpoint, n - 1);
    }
  }

  /** ct_flags_after: the TCP state flags an entry has once packet {@code p} passed it. */
  static int flagsAfter(Packet p, int flags) {
    if (p.protocol != Protocols.PROTO_TCP) {
      return flags;
    }
    if ((p.tcpFlags & (Packet.TCP_FIN | Packet.TCP_RST)) != 0) {
      return flags | CtFlags.CT_CLOSING;
    }
    if ((p.tcpFlags & Packet.TCP_SYN) == 0) {
      return flags | CtFlags.CT_SEEN_NON_SYN;
    }
    return flags;
  }

  /**
   * ct_touch: the entry's life starts again; written only when its state changes or a second has passed
   * since it was written ({@code renew}), with the lifetime the configuration says then.
   */
  CtValue touch(CtKey key, CtValue v, Packet p, long now) {
    int flags = flagsAfter(p, v.flags());
    if (flags == v.flags() && now + v.renew() < v.expires()) {
      return v;
    }
    long expires = now + config.lifetimeJiffies(p.protocol, flags);
    // the connection starts closing: its own entry, or its reply entry marking it
    if ((flags & ~v.flags() & CtFlags.CT_CLOSING) != 0 && key.direction() != DIR_SERVICE
        && (closePartner(key, v, now) || !isReplyEntry(v))) {
      uncharge(v.endpoint());
    }
    CtValue t = v.withFlags(flags).renewedAt(now, expires, config);
    ct.put(key, t);
    return t;
  }

  /** ct_close_partner: a FIN or RST gives the connection's other entry the closing lifetime too. */
  private boolean closePartner(CtKey key, CtValue v, long now) {
    CtKey r = key.reply();
    CtValue other = ct.get(r);
    if (other == null || ((other.flags() ^ v.flags()) & CtFlags.CT_REPLY) == 0
        || (other.flags() & CtFlags.CT_CLOSING) != 0 || now >= other.expires()) {
      return false;
    }
    ct.put(r, other.withFlags(other.flags() | CtFlags.CT_CLOSING)
        .renewedAt(now, now + config.lifetimeJiffies(Protocols.PROTO_TCP, CtFlags.CT_CLOSING), config));
    return true;
  }
}
