package io.hexgate.lab.cni;

import io.hexgate.datapath.netns.NodeNetwork;
import io.hexgate.datapath.netns.PodNetwork;
import io.hexgate.lab.container.ContainerPod;
import io.hexgate.lab.workload.Workload;
import java.util.List;

/**
 * What the CNI made for one pod: its network (namespace, veth, address; none for a {@code hostNetwork}
 * pod run as containers, which shares its node's) and the workloads running there, or its containers.
 */
record PodSandbox(String key, String uid, NodeNetwork node, PodNetwork network, List<Workload> workloads, List<String> problems,
    ContainerPod containers) {
  PodSandbox(String key, String uid, PodNetwork network, List<Workload> workloads, List<String> problems) {
    this(key, uid, network.node(), network, workloads, problems, null);
  }

  String ip() {
    return network == null ? node.nodeIp() : network.ip();
  }

  String netns() {
    return network == null ? node.netns() : network.netns();
  }

  void stop() {
    for (Workload w : workloads) {
      w.close();
    }
    if (containers != null) {
      containers.close();
    }
  }
}
