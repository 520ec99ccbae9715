package io.hexgate.datapath.flow.hubble;

import io.hexgate.contract.hubble.flow.Endpoint;
import io.hexgate.contract.hubble.flow.Workload;

/** The operator's pod workload in a Hubble endpoint, where Cilium lists it as the endpoint's one workload. */
final class Workloads {
  private Workloads() {}

  /**
   * Adds {@code w} to {@code e} unless it is unset (the default instance: a pod no controller owns, or an
   * operator that does not send workloads).
   */
  static Endpoint.Builder add(Endpoint.Builder e, io.hexgate.contract.v1.Workload w) {
    return w.getName().isEmpty() ? e : e.addWorkloads(Workload.newBuilder().setName(w.getName()).setKind(w.getKind()));
  }
}
