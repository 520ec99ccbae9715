package io.hexgate.datapath.maps;

import io.hexgate.datapath.bpf.Codec;
import java.nio.ByteBuffer;

/**
 * The binary layouts of datapath/bpf/hexgate.h, field by field, and its constants. Addresses are ints
 * whose value reads a.b.c.d from the top byte down (192.0.2.1 = 0xC0000201); ports are 0..65535. Codecs
 * write them in network order, identifiers in host order, and the policy key's fields big-endian.
 */
public final class Layouts {
  private Layouts() {}

  // Directions (HG_DIR_*)
  public static final int DIR_INGRESS = 1;
  public static final int DIR_EGRESS = 2;
  public static final int DIR_SERVICE = 3;
  public static final int DIR_NETDEV = 3;

  // Drop reasons (Cilium's numbers)
  public static final int FORWARDED = 0;
  public static final int DROP_INVALID_SIP = 132;
  public static final int DROP_POLICY = 133;
  public static final int DROP_INVALID = 134;
  public static final int DROP_UNKNOWN_L3 = 139;
  public static final int DROP_UNROUTABLE = 151;
  public static final int DROP_CT_CREATE_FAILED = 155;
  public static final int DROP_FRAG_NOT_SUPPORTED = 157;
  public static final int DROP_NO_SERVICE = 158;
  public static final int DROP_PROXY_UNSUPPORTED = 180;
  public static final int DROP_POLICY_DENY = 181;
  public static final int DROP_EP_NOT_READY = 203;

  // Protocols in policy keys
  public static final int PROTO_OTHER = 0;
  public static final int PROTO_ICMP = 1;
  public static final int PROTO_TCP = 6;
  public static final int PROTO_UDP = 17;
  public static final int PROTO_SCTP = 132;

  public static final int IDENTITY_WORLD = 2;

  public static final int EP_INGRESS_ENFORCING = 1;
  public static final int EP_EGRESS_ENFORCING = 2;

  public static final int POLICY_TABLE = 255;
  public static final int POLICY_PROTO = 254;

  public static final int VERDICT_NONE = 0;
  public static final int VERDICT_ALLOW = 1;
  public static final int VERDICT_DENY = 2;
  public static final int VERDICT_REDIRECT = 3;

  public static final int MATCH_NONE = 0;
  public static final int MATCH_L3_ONLY = 1;
  public static final int MATCH_L3_L4 = 2;
  public static final int MATCH_L4_ONLY = 3;
  public static final int MATCH_ALL = 4;
  public static final int MATCH_L3_PROTO = 5;
  public static final int MATCH_PROTO_ONLY = 6;

  public static final int CT_NAT = 1;
  /** A connection's reply entry: its reversed tuple under the other hook's direction (hexgate.h). */
  public static final int CT_REPLY = 2;
  /** The pod that receives what the entry passes is on this node (hexgate.h). */
  public static final int CT_LOCAL = 4;
  /** TCP: a packet without SYN passed the entry (until then it lives for the SYN lifetime). */
  public static final int CT_SEEN_NON_SYN = 8;
  /** TCP: a FIN or RST passed the entry: it lives for the closing lifetime. */
  public static final int CT_CLOSING = 16;
  /** TCP: recorded by a packet without SYN: no reply entry, and the reversed lookup ignores it. */
  public static final int CT_MIDSTREAM = 32;

  public static final int METRICS_SLOTS = 256 * 4;

  public static final int CONFIG_NO_CT_CREATE = 1;
  /** from_pod hands established packets for the node's pods straight to their interface (hexgate.h). */
  public static final int CONFIG_HOST_ROUTING = 2;
  /** Jiffies per second while hg_config's hz is 0 (hexgate.h HG_HZ_FALLBACK): lifetimes never longer. */
  public static final int HZ_FALLBACK = 100;

  public static final int EVENT_POLICY_VERDICT = 1;
  public static final int EVENT_DROP = 2;

  public static final int ACTION_ALLOW = 0;
  public static final int ACTION_DENY = 1;
  public static final int ACTION_REDIRECT = 2;

  /** The hg_metrics index of a reason and direction. */
  public static int metricsSlot(int reason, int direction) {
    return (reason & 0xff) * 4 + direction;
  }

  // --------------------------------------------------------------------------------- byte helpers

  /** Writes an address or other network-order u32 so that its bytes read a.b.c.d. */
  static void putNet32(ByteBuffer b, int v) {
    b.putInt(b.order() == java.nio.ByteOrder.BIG_ENDIAN ? v : Integer.reverseBytes(v));
  }

  static int getNet32(ByteBuffer b) {
    int v = b.getInt();
    return b.order() == java.nio.ByteOrder.BIG_ENDIAN ? v : Integer.reverseBytes(v);
  }

  static void putNet16(ByteBuffer b, int v) {
    short s = (short) v;
    b.putShort(b.order() == java.nio.ByteOrder.BIG_ENDIAN ? s : Short.reverseBytes(s));
  }

  static int getNet16(ByteBuffer b) {
    short s = b.getShort();
    return Short.toUnsignedInt(b.order() == java.nio.ByteOrder.BIG_ENDIAN ? s : Short.reverseBytes(s));
  }

  /** Keeps the top {@code bits} bits of a 32-bit value. */
  public static int mask(int v, int bits) {
    return bits <= 0 ? 0 : bits >= 32 ? v : v & (-1 << (32 - bits));
  }

  // --------------------------------------------------------------------------------- hg_ipcache

  public record IpcacheKey(int prefixLen, int addr) {
    public static final Codec<IpcacheKey> CODEC = new Codec<>() {
      public int size() {
        return 8;
      }

      public void write(IpcacheKey k, ByteBuffer b) {
        b.putInt(k.prefixLen);
        putNet32(b, k.addr);
      }

      public IpcacheKey read(ByteBuffer b) {
        return new IpcacheKey(b.getInt(), getNet32(b));
      }
    };
  }

  /** hg_ipcache_host: the /32 entries of the IP cache, by address. */
  public record IpcacheHostKey(int addr) {
    public static final Codec<IpcacheHostKey> CODEC = new Codec<>() {
      public int size() {
        return 4;
      }

      public void write(IpcacheHostKey k, ByteBuffer b) {
        putNet32(b, k.addr);
      }

      public IpcacheHostKey read(ByteBuffer b) {
        return new IpcacheHostKey(getNet32(b));
      }
    };
  }

  public record IpcacheValue(int identity) {
    public static final Codec<IpcacheValue> CODEC = new Codec<>() {
      public int size() {
        return 4;
      }

      public void write(IpcacheValue v, ByteBuffer b) {
        b.putInt(v.identity);
      }

      public IpcacheValue read(ByteBuffer b) {
        return new IpcacheValue(b.getInt());
      }
    };
  }

  // --------------------------------------------------------------------------------- hg_endpoints

  public record EndpointKey(int addr) {
    public static final Codec<EndpointKey> CODEC = new Codec<>() {
      public int size() {
        return 4;
      }

      public void write(EndpointKey k, ByteBuffer b) {
        putNet32(b, k.addr);
      }

      public EndpointKey read(ByteBuffer b) {
        return new EndpointKey(getNet32(b));
      }
    };
  }

  /** {@code ifindex}: the pod's host-side interface in the node's namespace; 0 = unknown, matches no packet. */
  public record EndpointValue(int id, int identity, int flags, int ifindex) {
    public static final Codec<EndpointValue> CODEC = new Codec<>() {
      public int size() {
        return 16;
      }

      public void write(EndpointValue v, ByteBuffer b) {
        b.putInt(v.id).putInt(v.identity).putInt(v.flags).putInt(v.ifindex);
      }

      public EndpointValue read(ByteBuffer b) {
        return new EndpointValue(b.getInt(), b.getInt(), b.getInt(), b.getInt());
      }
    };

    public EndpointValue withIfindex(int index) {
      return new EndpointValue(id, identity, flags, index);
    }
  }

  // --------------------------------------------------------------------------------- hg_policy

  /**
   * A hg_policy key: {@code prefix} is {@link #POLICY_TABLE}, {@link #POLICY_PROTO} or the port prefix bits
   * (1..16) of a port block, whose {@code port} is masked to them.
   */
  public record PolicyKey(int endpoint, int identity, int direction, int protocol, int prefix, int port) {
    public static final Codec<PolicyKey> CODEC = new Codec<>() {
      public int size() {
        return 16;
      }

      public void write(PolicyKey k, ByteBuffer b) {
        b.putInt(k.endpoint).putInt(k.identity);
        b.put((byte) k.direction).put((byte) k.protocol).put((byte) k.prefix).put((byte) 0);
        putNet16(b, k.port);
        b.putShort((short) 0);
      }

      public PolicyKey read(ByteBuffer b) {
        int endpoint = b.getInt();
        int identity = b.getInt();
        int direction = Byte.toUnsignedInt(b.get());
        int protocol = Byte.toUnsignedInt(b.get());
        int prefix = Byte.toUnsignedInt(b.get());
        b.get();
        int port = getNet16(b);
        b.getShort();
        return new PolicyKey(endpoint, identity, direction, protocol, prefix, port);
      }
    };

    public static PolicyKey table(int endpoint, int identity, int direction) {
      return new PolicyKey(endpoint, identity, direction, 0, POLICY_TABLE, 0);
    }

    public static PolicyKey proto(int endpoint, int identity, int direction, int protocol) {
      return new PolicyKey(endpoint, identity, direction, protocol, POLICY_PROTO, 0);
    }

    public static PolicyKey block(int endpoint, int identity, int direction, int protocol, int bits, int port) {
      return new PolicyKey(endpoint, identity, direction, protocol, bits, port & (0xffff << (16 - bits)) & 0xffff);
    }

    /** Writing order among a table's entries: blocks, then protocol entries, then the table entry. */
    public int rank() {
      return prefix == POLICY_TABLE ? 2 : prefix == POLICY_PROTO ? 1 : 0;
    }
  }

  public record PolicyValue(int verdict, int matchType, int ruleId, int prefixes) {
    public PolicyValue(int verdict, int matchType, int ruleId) {
      this(verdict, matchType, ruleId, 0);
    }

    public static final Codec<PolicyValue> CODEC = new Codec<>() {
      public int size() {
        return 12;
      }

      public void write(PolicyValue v, ByteBuffer b) {
        b.put((byte) v.verdict).put((byte) v.matchType).putShort((short) 0).putInt(v.ruleId).putInt(v.prefixes);
      }

      public PolicyValue read(ByteBuffer b) {
        int verdict = Byte.toUnsignedInt(b.get());
        int match = Byte.toUnsignedInt(b.get());
        b.getShort();
        int rule = b.getInt();
        return new PolicyValue(verdict, match, rule, b.getInt());
      }
    };
  }

  // --------------------------------------------------------------------------------- services

  public record ServiceKey(int addr, int port, int protocol) {
    public static final Codec<ServiceKey> CODEC = new Codec<>() {
      public int size() {
        return 8;
      }

      public void write(ServiceKey k, ByteBuffer b) {
        putNet32(b, k.addr);
        putNet16(b, k.port);
        b.put((byte) k.protocol).put((byte) 0);
      }

      public ServiceKey read(ByteBuffer b) {
        ServiceKey k = new ServiceKey(getNet32(b), getNet16(b), Byte.toUnsignedInt(b.get()));
        b.get();
        return k;
      }
    };
  }

  public record ServiceValue(int count, int serviceId) {
    public static final Codec<ServiceValue> CODEC = new Codec<>() {
      public int size() {
        return 8;
      }

      public void write(ServiceValue v, ByteBuffer b) {
        b.putInt(v.count).putInt(v.serviceId);
      }

      public ServiceValue read(ByteBuffer b) {
        return new ServiceValue(b.getInt(), b.getInt());
      }
    };
  }

  public record BackendKey(int serviceId, int slot) {
    public static final Codec<BackendKey> CODEC = new Codec<>() {
      public int size() {
        return 8;
      }

      public void write(BackendKey k, ByteBuffer b) {
        b.putInt(k.serviceId).putInt(k.slot);
      }

      public BackendKey read(ByteBuffer b) {
        return new BackendKey(b.getInt(), b.getInt());
      }
    };
  }

  public record BackendValue(int addr, int port) {
    public static final Codec<BackendValue> CODEC = new Codec<>() {
      public int size() {
        return 8;
      }

      public void write(BackendValue v, ByteBuffer b) {
        putNet32(b, v.addr);
        putNet16(b, v.port);
        b.putShort((short) 0);
      }

      public BackendValue read(ByteBuffer b) {
        BackendValue v = new BackendValue(getNet32(b), getNet16(b));
        b.getShort();
        return v;
      }
    };
  }

  // --------------------------------------------------------------------------------- hg_ct

  public record CtKey(int saddr, int daddr, int sport, int dport, int protocol, int direction) {
    public static final Codec<CtKey> CODEC = new Codec<>() {
      public int size() {
        return 16;
      }

      public void write(CtKey k, ByteBuffer b) {
        putNet32(b, k.saddr);
        putNet32(b, k.daddr);
        putNet16(b, k.sport);
        putNet16(b, k.dport);
        b.put((byte) k.protocol).put((byte) k.direction).putShort((short) 0);
      }

      public CtKey read(ByteBuffer b) {
        CtKey k = new CtKey(getNet32(b), getNet32(b), getNet16(b), getNet16(b), Byte.toUnsignedInt(b.get()),
            Byte.toUnsignedInt(b.get()));
        b.getShort();
        return k;
      }
    };

    /**
     * The reversed tuple under the other hook's direction: for a packet, the key of the connection it
     * answers; for a connection, the key of its reply entry (hexgate.h, reply_key). Egress and ingress only.
     */
    public CtKey reply() {
      return new CtKey(daddr, saddr, dport, sport, protocol, direction == DIR_EGRESS ? DIR_INGRESS : DIR_EGRESS);
    }
  }

  /**
   * A hg_ct value. {@code expires} is in jiffies (the program's bpf_jiffies64, {@link
   * io.hexgate.datapath.bpf.JiffiesClock}; hg_config's hz of them make a second); {@code generation} the hg_config generation the connection was last judged at;
   * {@code peerIdentity} the identity its peer address had then. {@code ifindex}: the local pod's host-side interface (the
   * judged endpoint's); from_pod passes a CT hit only from there. {@code renew} (u32, jiffies): the lifetime
   * the entry was last given less a second ({@link Config#renewOf}); a packet writes it again only when its
   * flags change or {@code now + renew >= expires}.
   */
  public record CtValue(int endpoint, int ruleId, int natAddr, int natPort, int flags, int ifindex, int peerIdentity,
      long expires, int generation, long renew) {
    public static final Codec<CtValue> CODEC = new Codec<>() {
      public int size() {
        return 40;
      }

      public void write(CtValue v, ByteBuffer b) {
        b.putInt(v.endpoint).putInt(v.ruleId);
        putNet32(b, v.natAddr);
        putNet16(b, v.natPort);
        b.putShort((short) v.flags);
        b.putInt(v.ifindex).putInt(v.peerIdentity).putLong(v.expires).putInt(v.generation).putInt((int) v.renew);
      }

      public CtValue read(ByteBuffer b) {
        return new CtValue(b.getInt(), b.getInt(), getNet32(b), getNet16(b), Short.toUnsignedInt(b.getShort()),
            b.getInt(), b.getInt(), b.getLong(), b.getInt(), Integer.toUnsignedLong(b.getInt()));
      }
    };

    public CtValue withFlags(int newFlags) {
      return new CtValue(endpoint, ruleId, natAddr, natPort, newFlags, ifindex, peerIdentity, expires, generation, renew);
    }

    public CtValue withExpires(long newExpires) {
      return new CtValue(endpoint, ruleId, natAddr, natPort, flags, ifindex, peerIdentity, newExpires, generation, renew);
    }

    /** The expiry and renew of a write at {@code now} under {@code config} (ct_touch, ct_close_partner). */
    public CtValue renewedAt(long now, long newExpires, Config config) {
      return new CtValue(endpoint, ruleId, natAddr, natPort, flags, ifindex, peerIdentity, newExpires, generation,
          config.renewOf(newExpires, now));
    }

    public CtValue withRenew(long newRenew) {
      return new CtValue(endpoint, ruleId, natAddr, natPort, flags, ifindex, peerIdentity, expires, generation, newRenew);
    }

    public CtValue withGeneration(int newGeneration) {
      return new CtValue(endpoint, ruleId, natAddr, natPort, flags, ifindex, peerIdentity, expires, newGeneration, renew);
    }

    public boolean isReply() {
      return (flags & CT_REPLY) != 0;
    }

    /** Whether the program treats the entry as absent at {@code nowJiffies}. */
    public boolean expiredAt(long nowJiffies) {
      return nowJiffies >= expires;
    }
  }

  // --------------------------------------------------------------------------------- hg_frags

  /** A fragmented datagram: addresses as it arrived, IP id, protocol. */
  public record FragKey(int saddr, int daddr, int id, int protocol) {
    public static final Codec<FragKey> CODEC = new Codec<>() {
      public int size() {
        return 12;
      }

      public void write(FragKey k, ByteBuffer b) {
        putNet32(b, k.saddr);
        putNet32(b, k.daddr);
        putNet16(b, k.id);
        b.put((byte) k.protocol).put((byte) 0);
      }

      public FragKey read(ByteBuffer b) {
        FragKey k = new FragKey(getNet32(b), getNet32(b), getNet16(b), Byte.toUnsignedInt(b.get()));
        b.get();
        return k;
      }
    };
  }

  /** The ports its first fragment was forwarded with. */
  public record FragValue(int sport, int dport) {
    public static final Codec<FragValue> CODEC = new Codec<>() {
      public int size() {
        return 4;
      }

      public void write(FragValue v, ByteBuffer b) {
        putNet16(b, v.sport);
        putNet16(b, v.dport);
      }

      public FragValue read(ByteBuffer b) {
        return new FragValue(getNet16(b), getNet16(b));
      }
    };
  }

  /** hg_ct_counts: connections recorded per endpoint id (hexgate.h, struct hg_ct_count). */
  public static final Codec<Integer> CT_COUNT = new Codec<>() {
    public int size() {
      return 4;
    }

    public void write(Integer v, ByteBuffer b) {
      b.putInt(v);
    }

    public Integer read(ByteBuffer b) {
      return b.getInt();
    }
  };

  // --------------------------------------------------------------------------------- hg_metrics, hg_config

  /** One CPU's counters; a lookup of hg_metrics returns one per possible CPU, 16 bytes apart. */
  public record MetricsValue(long packets, long bytes) {
    public static final Codec<MetricsValue> CODEC = new Codec<>() {
      public int size() {
        return 16;
      }

      public void write(MetricsValue v, ByteBuffer b) {
        b.putLong(v.packets).putLong(v.bytes);
      }

      public MetricsValue read(ByteBuffer b) {
        return new MetricsValue(b.getLong(), b.getLong());
      }
    };

    /** Sums a per-CPU lookup result. */
    public static MetricsValue sumPerCpu(byte[] perCpu) {
      ByteBuffer b = ByteBuffer.wrap(perCpu).order(java.nio.ByteOrder.nativeOrder());
      long p = 0;
      long n = 0;
      while (b.remaining() >= 16) {
        p += b.getLong();
        n += b.getLong();
      }
      return new MetricsValue(p, n);
    }
  }

  /**
   * hg_config: flags, the policy generation, the per-endpoint connection quota (0 = none), the CT
   * lifetimes, and the kernel's HZ (jiffies per second, the unit of CT times; 0 = {@link #HZ_FALLBACK}).
   * {@link KernelConntrack#configure} writes its probe's HZ whatever {@code hz} says.
   */
  public record Config(int flags, int generation, int ctQuota, CtLifetimes lifetimes, int hz) {
    /** The value size of hg_config before it had {@code hz}, when CT times were nanoseconds. */
    public static final int SIZE_BEFORE_JIFFIES = 32;

    public Config {
      if (hz < 0) {
        throw new IllegalArgumentException("hg_config: hz must not be negative: " + hz);
      }
    }

    /** HZ not given (0): the program's fallback, or the kernel's where {@link KernelConntrack} writes it. */
    public Config(int flags, int generation, int ctQuota, CtLifetimes lifetimes) {
      this(flags, generation, ctQuota, lifetimes, 0);
    }

    public Config(int flags) {
      this(flags, 0, 0, CtLifetimes.DEFAULT);
    }

    public Config withGeneration(int g) {
      return new Config(flags, g, ctQuota, lifetimes, hz);
    }

    public Config withHz(int newHz) {
      return new Config(flags, generation, ctQuota, lifetimes, newHz);
    }

    /** Jiffies per second as the program counts them (ct_hz). */
    public int effectiveHz() {
      return hz != 0 ? hz : HZ_FALLBACK;
    }

    /** The lifetime in jiffies of an entry of {@code protocol} with CT flags {@code flags} (ct_expiry). */
    public long lifetimeJiffies(int protocol, int flags) {
      return lifetimes.seconds(protocol, flags) * effectiveHz();
    }

    /** hg_ct_value.renew of an entry given {@code expires} at {@code now} (ct_renew): saturated to a u32. */
    public long renewOf(long expires, long now) {
      long r = expires - now - effectiveHz();
      return r < 0 || r > 0xffff_ffffL ? 0xffff_ffffL : r;
    }

    public static final Codec<Config> CODEC = new Codec<>() {
      public int size() {
        return 36;
      }

      public void write(Config v, ByteBuffer b) {
        b.putInt(v.flags).putInt(v.generation).putInt(v.ctQuota);
        CtLifetimes l = v.lifetimes;
        b.putInt(l.tcp).putInt(l.syn).putInt(l.close).putInt(l.other).putInt(l.icmp);
        b.putInt(v.hz);
      }

      public Config read(ByteBuffer b) {
        return new Config(b.getInt(), b.getInt(), b.getInt(),
            new CtLifetimes(b.getInt(), b.getInt(), b.getInt(), b.getInt(), b.getInt()), b.getInt());
      }
    };
  }

  /** Sums a per-CPU lookup of u64 values (hg_lost). */
  public static long sumPerCpuU64(byte[] perCpu) {
    ByteBuffer b = ByteBuffer.wrap(perCpu).order(java.nio.ByteOrder.nativeOrder());
    long n = 0;
    while (b.remaining() >= 8) {
      n += b.getLong();
    }
    return n;
  }

  /**
   * CT lifetimes in seconds (hexgate.h HG_CT_LIFETIME_*): established TCP, TCP that has seen only SYNs, TCP
   * after a FIN or RST, UDP and other protocols, ICMP echo. 0 stands for the default, as in the program.
   */
  public record CtLifetimes(int tcp, int syn, int close, int other, int icmp) {
    /** Cilium's defaults (cilium-policy.md §7.4). */
    public static final CtLifetimes DEFAULT = new CtLifetimes(8000, 60, 10, 60, 60);

    public CtLifetimes {
      for (int s : new int[] {tcp, syn, close, other, icmp}) {
        if (s < 0) {
          throw new IllegalArgumentException("conntrack lifetimes: seconds must not be negative: " + s);
        }
      }
    }

    /** The lifetime in seconds of an entry of {@code protocol} with CT flags {@code flags} (ct_lifetime). */
    public long seconds(int protocol, int flags) {
      int s;
      if (protocol == PROTO_TCP) {
        s = (flags & CT_CLOSING) != 0 ? or(close, DEFAULT.close)
            : (flags & CT_SEEN_NON_SYN) != 0 ? or(tcp, DEFAULT.tcp) : or(syn, DEFAULT.syn);
      } else if (protocol == PROTO_ICMP) {
        s = or(icmp, DEFAULT.icmp);
      } else {
        s = or(other, DEFAULT.other);
      }
      return s;
    }

    private static int or(int v, int dflt) {
      return v != 0 ? v : dflt;
    }
  }

  /** 4-byte u32 keys of the array maps (hg_metrics, hg_config). */
  public static final Codec<Integer> U32 = new Codec<>() {
    public int size() {
      return 4;
    }

    public void write(Integer v, ByteBuffer b) {
      b.putInt(v);
    }

    public Integer read(ByteBuffer b) {
      return b.getInt();
    }
  };

  // --------------------------------------------------------------------------------- hg_events

  /** One ring-buffer record (struct hg_event, 56 bytes). */
  public record Event(
      long timeNanos,
      int type,
      int direction,
      int action,
      int matchType,
      int reason,
      int protocol,
      int endpoint,
      int srcIdentity,
      int dstIdentity,
      int saddr,
      int daddr,
      int sport,
      int dport,
      int ruleId,
      int origDaddr,
      int origDport,
      int length) {
    public static final int SIZE = 56;

    public static final Codec<Event> CODEC = new Codec<>() {
      public int size() {
        return SIZE;
      }

      public void write(Event e, ByteBuffer b) {
        b.putLong(e.timeNanos);
        b.put((byte) e.type).put((byte) e.direction).put((byte) e.action).put((byte) e.matchType);
        b.putShort((short) e.reason).put((byte) e.protocol).put((byte) 0);
        b.putInt(e.endpoint).putInt(e.srcIdentity).putInt(e.dstIdentity);
        putNet32(b, e.saddr);
        putNet32(b, e.daddr);
        putNet16(b, e.sport);
        putNet16(b, e.dport);
        b.putInt(e.ruleId);
        putNet32(b, e.origDaddr);
        putNet16(b, e.origDport);
        b.putShort((short) 0);
        b.putInt(e.length);
      }

      public Event read(ByteBuffer b) {
        long t = b.getLong();
        int type = Byte.toUnsignedInt(b.get());
        int dir = Byte.toUnsignedInt(b.get());
        int action = Byte.toUnsignedInt(b.get());
        int match = Byte.toUnsignedInt(b.get());
        int reason = Short.toUnsignedInt(b.getShort());
        int proto = Byte.toUnsignedInt(b.get());
        b.get();
        int ep = b.getInt();
        int src = b.getInt();
        int dst = b.getInt();
        int saddr = getNet32(b);
        int daddr = getNet32(b);
        int sport = getNet16(b);
        int dport = getNet16(b);
        int rule = b.getInt();
        int od = getNet32(b);
        int op = getNet16(b);
        b.getShort();
        int len = b.getInt();
        return new Event(t, type, dir, action, match, reason, proto, ep, src, dst, saddr, daddr, sport, dport, rule, od,
            op, len);
      }
    };

    /** The same event without its kernel timestamp, for comparisons with the twin. */
    public Event withoutTime() {
      return new Event(0, type, direction, action, matchType, reason, protocol, endpoint, srcIdentity, dstIdentity,
          saddr, daddr, sport, dport, ruleId, origDaddr, origDport, length);
    }
  }
}
