package io.hexgate.datapath.twin;

import io.hexgate.datapath.abi.Directions;
import io.hexgate.datapath.abi.DropReasons;
import io.hexgate.datapath.abi.Protocols;
import static io.hexgate.datapath.abi.Directions.DIR_SERVICE;

import io.hexgate.datapath.abi.BackendKey;
import io.hexgate.datapath.abi.BackendValue;
import io.hexgate.datapath.abi.CtKey;
import io.hexgate.datapath.abi.CtValue;
import io.hexgate.datapath.abi.ServiceKey;
import io.hexgate.datapath.abi.ServiceValue;
import io.hexgate.datapath.maps.MapContents;

/**
 * Load balancing as from_pod does it: a packet to a ClusterIP frontend (hg_services) goes to the backend
 * its connection's service entry names, or, for a new connection, to the backend slot (hg_backends) its
 * tuple hashes to; the destination is rewritten after the policy allowed it ({@link #pass}).
 */
final class ServiceTranslation {
  boolean hit;
  /** Whether the chosen backend is to be recorded in a new service CT entry. */
  boolean record;
  int frontendAddr;
  int frontendPort;
  BackendValue backend;

  /**
   * Looks the destination up as a frontend; on a hit the packet's destination and policy port become the
   * backend's (its bytes change only in {@link #pass}). 0, or the negated drop reason when the service has
   * no backend.
   */
  int translate(Packet p, MapContents maps, TwinConntrack ct, long now) {
    if (p.protocol != Protocols.PROTO_TCP && p.protocol != Protocols.PROTO_UDP) {
      return 0;
    }
    ServiceValue sv = maps.services().get(new ServiceKey(p.daddr, p.dport, p.protocol));
    if (sv == null) {
      return 0;
    }
    hit = true;
    frontendAddr = p.daddr;
    frontendPort = p.dport;
    p.tupleDir = DIR_SERVICE;
    CtKey svcKey = p.tuple();
    CtValue svcCt = p.isNewRequest() ? null : ct.get(svcKey);
    if (svcCt != null && now < svcCt.expires()) {
      ct.touch(svcKey, svcCt, p, now);
      backend = new BackendValue(svcCt.natAddr(), svcCt.natPort());
    } else {
      if (sv.count() == 0) {
        return -DropReasons.DROP_NO_SERVICE;
      }
      int slot = Integer.remainderUnsigned(p.tupleHash(), sv.count());
      BackendValue b = maps.backends().get(new BackendKey(sv.serviceId(), slot));
      if (b == null) {
        return -DropReasons.DROP_NO_SERVICE;
      }
      backend = b;
      record = true;
    }
    p.daddr = backend.addr();
    p.dport = backend.port();
    p.policyPort = backend.port();
    return 0;
  }

  /** The packet leaves: to the backend, when it was for a frontend. */
  void pass(Packet p) {
    if (hit) {
      p.rewrite(false, frontendAddr, frontendPort, backend.addr(), backend.port());
    }
  }
}
