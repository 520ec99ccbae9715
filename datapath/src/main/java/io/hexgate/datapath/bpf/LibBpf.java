package io.hexgate.datapath.bpf;

import jnr.ffi.Pointer;
import jnr.ffi.annotations.Delegate;
import jnr.ffi.annotations.In;
import jnr.ffi.annotations.Out;
import jnr.ffi.annotations.SaveError;
import jnr.ffi.types.size_t;

/**
 * Debian's libbpf.so.1 (libbpf 1.x) through jnr-ffi. Functions returning int return a negative errno on
 * failure (libbpf 1.0 semantics); functions returning a pointer return NULL and set errno, which
 * {@link SaveError} keeps for {@link Native#errno()}. Options structs are raw memory laid out by
 * {@link Tc} and {@link BpfProgram}; use the safe layer ({@link BpfObject}, {@link BpfMap}) rather than
 * this interface where it suffices.
 */
public interface LibBpf {
  @SaveError
  Pointer bpf_object__open_file(String path, Pointer opts);

  int bpf_object__load(Pointer obj);

  void bpf_object__close(Pointer obj);

  Pointer bpf_object__find_map_by_name(Pointer obj, String name);

  Pointer bpf_object__find_program_by_name(Pointer obj, String name);

  /** The map after {@code prev} in the object, the first for NULL; NULL at the end. */
  Pointer bpf_object__next_map(Pointer obj, Pointer prev);

  Pointer bpf_object__next_program(Pointer obj, Pointer prev);

  String bpf_map__name(Pointer map);

  int bpf_map__fd(Pointer map);

  int bpf_map__type(Pointer map);

  int bpf_map__key_size(Pointer map);

  int bpf_map__value_size(Pointer map);

  int bpf_map__max_entries(Pointer map);

  int bpf_map__map_flags(Pointer map);

  long bpf_map__map_extra(Pointer map);

  int bpf_map__set_max_entries(Pointer map, int maxEntries);

  /** Before load: reuse the map pinned there if compatible, else create it and pin it there. */
  /** The bytes an internal map (.rodata, .data) starts with at load; fails unless {@code size} is its size. */
  int bpf_map__set_initial_value(Pointer map, @In byte[] data, @size_t long size);

  int bpf_map__set_pin_path(Pointer map, String path);

  String bpf_map__pin_path(Pointer map);

  int bpf_map__reuse_fd(Pointer map, int fd);

  int bpf_map__unpin(Pointer map, String path);

  String bpf_program__name(Pointer prog);

  int bpf_program__fd(Pointer prog);

  int bpf_program__pin(Pointer prog, String path);

  int bpf_program__unpin(Pointer prog, String path);

  int bpf_obj_pin(int fd, String path);

  int bpf_obj_get(String path);

  int bpf_prog_get_fd_by_id(int id);

  int bpf_map_get_fd_by_id(int id);

  /** {@code info} a struct bpf_map_info (or prog info) of {@code *infoLen} bytes; the kernel fills it. */
  int bpf_obj_get_info_by_fd(int fd, Pointer info, Pointer infoLen);

  /** {@code opts} a struct bpf_map_create_opts, or NULL. Returns the new map's fd. */
  int bpf_map_create(int type, String name, int keySize, int valueSize, int maxEntries, Pointer opts);

  // tc (clsact) attachment; hook and opts are struct bpf_tc_hook / bpf_tc_opts, see Tc.

  int bpf_tc_hook_create(Pointer hook);

  int bpf_tc_hook_destroy(Pointer hook);

  int bpf_tc_attach(Pointer hook, Pointer opts);

  int bpf_tc_detach(Pointer hook, Pointer opts);

  int bpf_tc_query(Pointer hook, Pointer opts);

  /** A link of program {@code progFd} to {@code targetFd} (e.g. a network namespace); closing its fd detaches it. */
  int bpf_link_create(int progFd, int targetFd, int attachType, Pointer opts);

  // Ring buffers.

  /** {@code int (*ring_buffer_sample_fn)(void *ctx, void *data, size_t size)}; non-zero stops polling. */
  interface RingBufferSample {
    @Delegate
    int sample(Pointer ctx, Pointer data, @size_t long size);
  }

  @SaveError
  Pointer ring_buffer__new(int mapFd, RingBufferSample sample, Pointer ctx, Pointer opts);

  /** Number of records consumed, or a negative errno. */
  int ring_buffer__poll(Pointer rb, int timeoutMs);

  int ring_buffer__consume(Pointer rb);

  void ring_buffer__free(Pointer rb);

  // Test runs.

  /** {@code opts} is a struct bpf_test_run_opts, see BpfProgram. */
  int bpf_prog_test_run_opts(int progFd, Pointer opts);

  // Map elements.

  int bpf_map_update_elem(int fd, @In byte[] key, @In byte[] value, long flags);

  int bpf_map_lookup_elem(int fd, @In byte[] key, @Out byte[] value);

  int bpf_map_delete_elem(int fd, @In byte[] key);

  /** {@code key} NULL: the first key. -ENOENT after the last. */
  int bpf_map_get_next_key(int fd, @In byte[] key, @Out byte[] nextKey);

  /** {@code count} points at a u32: in the number of elements, out the number processed. */
  int bpf_map_update_batch(int fd, Pointer keys, Pointer values, Pointer count, Pointer opts);

  int bpf_map_delete_batch(int fd, Pointer keys, Pointer count, Pointer opts);

  int bpf_map_lookup_batch(
      int fd, Pointer inBatch, Pointer outBatch, Pointer keys, Pointer values, Pointer count, Pointer opts);

  // Logging.

  /** {@code int (*libbpf_print_fn_t)(enum libbpf_print_level level, const char *fmt, va_list args)}. */
  interface PrintFn {
    @Delegate
    int print(int level, Pointer format, Pointer args);
  }

  Pointer libbpf_set_print(PrintFn fn);

  int libbpf_num_possible_cpus();

  int libbpf_strerror(int err, Pointer buf, @size_t long size);
}
