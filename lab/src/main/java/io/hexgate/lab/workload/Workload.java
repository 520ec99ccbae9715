package io.hexgate.lab.workload;

/** What runs in a pod's network namespace in place of its containers; stopped when the pod goes. */
public interface Workload extends AutoCloseable {
  /** Words for {@code kubectl describe} and the log: what stands in for the image. */
  String describe();

  @Override
  void close();
}
