package io.hexgate.lab.container;

import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.ContainerStatus;
import io.fabric8.kubernetes.api.model.ContainerStatusBuilder;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodSecurityContext;
import io.fabric8.kubernetes.api.model.SecurityContext;
import io.fabric8.kubernetes.api.model.VolumeMount;
import io.hexgate.contract.thread.DaemonThreads;
import io.hexgate.lab.workload.Workload;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;

/** The containers of one pod, with their volumes and readiness probes; closing stops them as a pod deletion does. */
public final class ContainerPod implements Workload {
  private final Pod pod;
  private final PodVolumes volumes;
  private final List<RunningContainer> containers;
  private final Map<String, String> images;
  private final ScheduledExecutorService probes;
  private final Path dir;

  private ContainerPod(Pod pod, PodVolumes volumes, List<RunningContainer> containers, Map<String, String> images, ScheduledExecutorService probes, Path dir) {
    this.pod = pod;
    this.volumes = volumes;
    this.containers = containers;
    this.images = images;
    this.probes = probes;
    this.dir = dir;
  }

  /** Where the pod runs: its network namespace, address, hostname and {@code /etc/resolv.conf}. */
  record Placement(String netns, String podIp, String hostIp, String hostname, Path resolvConf) {}

  static ContainerPod start(ContainerHost host, Pod pod, Placement where, Runnable changed) throws IOException {
    String ns = pod.getMetadata().getNamespace();
    Path dir = host.podDir(pod);
    Files.createDirectories(dir);
    Path hosts = dir.resolve("etc-hosts");
    Files.writeString(hosts, "127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n" + where.podIp() + "\t" + where.hostname() + "\n",
        StandardCharsets.UTF_8);
    Path hostname = dir.resolve("etc-hostname");
    Files.writeString(hostname, where.hostname() + "\n", StandardCharsets.UTF_8);
    PodVolumes volumes = PodVolumes.make(pod, host.client(), dir.resolve("volumes"), host.nodeFs(), host.caPem());
    List<RunningContainer> started = new ArrayList<>();
    ScheduledExecutorService probes = Executors.newSingleThreadScheduledExecutor(DaemonThreads.factory("lab-probes-" + pod.getMetadata().getName()));
    Map<String, String> imageIds = new java.util.HashMap<>();
    ContainerPod cp = new ContainerPod(pod, volumes, started, imageIds, probes, dir);
    try {
      for (Container c : pod.getSpec().getContainers()) {
        UnpackedImage image = host.images().unpack(c.getImage());
        imageIds.put(c.getName(), image.digest());
        ContainerCommand command = ContainerCommand.resolve(image.config(), pod, c,
            new ContainerCommand.PodAddresses(where.podIp(), where.hostIp()), host.serviceEnv(), host.client());
        RuntimeSpec.User user = user(pod.getSpec().getSecurityContext(), c.getSecurityContext(), image);
        List<RuntimeSpec.Bind> binds = new ArrayList<>();
        binds.add(new RuntimeSpec.Bind("/etc/hosts", hosts, false));
        binds.add(new RuntimeSpec.Bind("/etc/hostname", hostname, false));
        binds.add(new RuntimeSpec.Bind("/etc/resolv.conf", where.resolvConf(), false));
        if (volumes.apiAccess()) {
          binds.add(new RuntimeSpec.Bind(PodVolumes.API_ACCESS_PATH, volumes.path(PodVolumes.API_ACCESS), true));
        }
        for (VolumeMount m : c.getVolumeMounts() == null ? List.<VolumeMount>of() : c.getVolumeMounts()) {
          Path source = volumes.path(m.getName());
          if (m.getSubPath() != null && !m.getSubPath().isEmpty()) {
            source = source.resolve(m.getSubPath());
          }
          binds.add(new RuntimeSpec.Bind(m.getMountPath(), source, Boolean.TRUE.equals(m.getReadOnly())));
        }
        String id = host.containerId(pod, c.getName());
        Path cdir = host.containerDir(id);
        Map<String, Object> spec = RuntimeSpec.build(RunningContainer.rootfs(cdir), command,
            c.getWorkingDir() != null ? c.getWorkingDir() : image.config().workingDir(), user, c.getSecurityContext(),
            where.hostname(), where.netns() == null ? null : Path.of("/run/netns", where.netns()), binds);
        Path logFile = host.logFile(ns, pod.getMetadata().getName(), c.getName());
        RunningContainer rc = new RunningContainer(id, c.getName(), cdir, image.rootfs(), spec, pod.getSpec().getRestartPolicy(), logFile, changed);
        started.add(rc);
        if (c.getReadinessProbe() != null || c.getStartupProbe() != null) {
          ReadinessProbe.attach(c.getReadinessProbe(), c.getStartupProbe(), c.getPorts(), where.netns(), where.podIp(), rc, probes, changed);
        }
        rc.start();
      }
    } catch (IOException | RuntimeException e) {
      cp.close();
      throw e;
    }
    return cp;
  }

  /** runAsUser and runAsGroup of the container, else of the pod, else the image's user; refused as root under runAsNonRoot. */
  static RuntimeSpec.User user(PodSecurityContext podSc, SecurityContext sc, UnpackedImage image) throws IOException {
    long[] fromImage = ImageUser.resolve(image.config().user(), image.rootfs());
    Long uid = sc != null && sc.getRunAsUser() != null ? sc.getRunAsUser() : podSc != null ? podSc.getRunAsUser() : null;
    Long gid = sc != null && sc.getRunAsGroup() != null ? sc.getRunAsGroup() : podSc != null ? podSc.getRunAsGroup() : null;
    long u = uid != null ? uid : fromImage[0];
    long g = gid != null ? gid : uid != null && !image.config().user().contains(":") ? 0 : fromImage[1];
    Boolean nonRoot = sc != null && sc.getRunAsNonRoot() != null ? sc.getRunAsNonRoot() : podSc != null ? podSc.getRunAsNonRoot() : null;
    if (Boolean.TRUE.equals(nonRoot) && u == 0) {
      throw new IllegalStateException("container has runAsNonRoot and image will run as root");
    }
    List<Long> extra = new ArrayList<>();
    if (podSc != null && podSc.getSupplementalGroups() != null) {
      extra.addAll(podSc.getSupplementalGroups());
    }
    if (podSc != null && podSc.getFsGroup() != null) {
      extra.add(podSc.getFsGroup());
    }
    return new RuntimeSpec.User(u, g, extra);
  }

  /** Running once every container runs or has run; Succeeded or Failed once all are done for good. */
  public String phase() {
    List<RunningContainer.State> states = containers.stream().map(RunningContainer::state).toList();
    if (!states.isEmpty() && states.stream().allMatch(RunningContainer.State::done)) {
      return states.stream().allMatch(s -> s.lastExitCode() != null && s.lastExitCode() == 0) ? "Succeeded" : "Failed";
    }
    return states.stream().anyMatch(s -> s.startedAt() != null) ? "Running" : "Pending";
  }

  public boolean ready() {
    return !containers.isEmpty() && containers.stream().allMatch(c -> c.state().ready());
  }

  /** The containers' statuses, as a kubelet reports them. */
  public List<ContainerStatus> statuses() {
    List<ContainerStatus> out = new ArrayList<>();
    for (RunningContainer c : containers) {
      RunningContainer.State s = c.state();
      Container spec = pod.getSpec().getContainers().stream().filter(x -> x.getName().equals(c.name())).findFirst().orElseThrow();
      ContainerStatusBuilder b = new ContainerStatusBuilder()
          .withName(c.name()).withImage(spec.getImage()).withImageID(images.getOrDefault(c.name(), ""))
          .withContainerID("runc://" + c.id()).withReady(s.ready()).withStarted(c.started()).withRestartCount(s.restartCount());
      if (s.running()) {
        b.withNewState().withNewRunning(time(s.startedAt())).endState();
      } else if (s.done()) {
        b.withNewState().withNewTerminated().withExitCode(s.lastExitCode()).withReason(s.lastExitCode() == 0 ? "Completed" : "Error")
            .withStartedAt(time(s.startedAt())).withFinishedAt(time(s.finishedAt())).withContainerID("runc://" + c.id()).endTerminated().endState();
      } else if (s.lastExitCode() != null) {
        b.withNewState().withNewWaiting().withReason("CrashLoopBackOff").withMessage("back-off restarting the container").endWaiting().endState();
      } else {
        b.withNewState().withNewWaiting().withReason("ContainerCreating").endWaiting().endState();
      }
      if (s.lastExitCode() != null && !s.done()) {
        b.withNewLastState().withNewTerminated().withExitCode(s.lastExitCode()).withReason(s.lastExitCode() == 0 ? "Completed" : "Error")
            .withStartedAt(time(s.startedAt())).withFinishedAt(time(s.finishedAt())).withContainerID("runc://" + c.id()).endTerminated().endLastState();
      }
      out.add(b.build());
    }
    return out;
  }

  private static String time(Instant t) {
    return t == null ? null : t.truncatedTo(ChronoUnit.SECONDS).toString();
  }

  @Override
  public String describe() {
    return containers.size() + " container(s) (" + String.join(", ", containers.stream().map(RunningContainer::id).toList()) + ")";
  }

  /** Stops every container (SIGTERM, SIGKILL after the pod's grace period) and removes the pod's files. */
  @Override
  public void close() {
    probes.shutdownNow();
    Long grace = pod.getSpec().getTerminationGracePeriodSeconds();
    if (pod.getMetadata().getDeletionGracePeriodSeconds() != null) {
      grace = pod.getMetadata().getDeletionGracePeriodSeconds();
    }
    Duration d = Duration.ofSeconds(grace == null ? 30 : grace);
    List<Thread> stopping = new ArrayList<>();
    for (RunningContainer c : containers) {
      stopping.add(DaemonThreads.start("lab-stop-" + c.id(), () -> c.stop(d)));
    }
    for (Thread t : stopping) {
      try {
        t.join();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
    volumes.close();
    try {
      io.hexgate.datapath.netns.FileTrees.delete(dir);
    } catch (IOException e) {
      // the next lab's cleanup removes the state directory's leftovers
    }
  }
}
