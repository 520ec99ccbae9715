package io.hexgate.lab.cni;

import io.hexgate.datapath.netns.PodNetwork;
import io.hexgate.lab.workload.Workload;
import java.util.List;

/** What the CNI made for one pod: its network (namespace, veth, address) and the workloads running there. */
record PodSandbox(String key, String uid, PodNetwork network, List<Workload> workloads, List<String> problems) {
  void stop() {
    for (Workload w : workloads) {
      w.close();
    }
  }
}
