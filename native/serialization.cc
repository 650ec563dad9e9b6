// torch.load's storages, read from the checkpoint file straight into tensor memory: one copy of the
// bytes and no JS buffer in between (a JS Buffer would double the peak memory and caps at a few GiB),
// and pread takes 64-bit offsets, so records beyond 2 GiB in the file load too.
#include <dlfcn.h>
#include <sys/mman.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstring>
#include <memory>

#include "common.h"
#include "entry.h"
#include "serialization.h"
#include "tensor.h"

namespace tn {

namespace {

// CRC-32 (IEEE, as in ZIP), slicing by 8 bytes: the check of every record is part of load's cost.
using CrcTables = std::array<std::array<uint32_t, 256>, 8>;

const CrcTables& Tables() {
  static const CrcTables tables = [] {
    CrcTables t{};
    for (uint32_t n = 0; n < 256; ++n) {
      uint32_t c = n;
      for (int k = 0; k < 8; ++k) c = (c & 1) ? 0xedb88320u ^ (c >> 1) : c >> 1;
      t[0][n] = c;
    }
    for (uint32_t n = 0; n < 256; ++n)
      for (int k = 1; k < 8; ++k) t[k][n] = (t[k - 1][n] >> 8) ^ t[0][t[k - 1][n] & 0xff];
    return t;
  }();
  return tables;
}

uint32_t Crc32Tables(const uint8_t* p, size_t n) {
  const CrcTables& t = Tables();
  uint32_t crc = 0xffffffffu;
  for (; n >= 8; p += 8, n -= 8) {
    uint32_t one, two;
    std::memcpy(&one, p, 4);  // little-endian host (lib/serialization refuses others)
    std::memcpy(&two, p + 4, 4);
    one ^= crc;
    crc = t[7][one & 0xff] ^ t[6][(one >> 8) & 0xff] ^ t[5][(one >> 16) & 0xff] ^ t[4][one >> 24] ^
          t[3][two & 0xff] ^ t[2][(two >> 8) & 0xff] ^ t[1][(two >> 16) & 0xff] ^ t[0][two >> 24];
  }
  while (n--) crc = t[0][(crc ^ *p++) & 0xff] ^ (crc >> 8);
  return crc ^ 0xffffffffu;
}

// zlib's crc32 as the process already has it (Node's bundled zlib computes it with carry-less multiply,
// 3-4x the tables' speed; half of a state dict's load time was this check). Looked up at run time, not
// linked: a Node built without it exported still loads the addon, and uses the tables.
using ZlibCrc32 = unsigned long (*)(unsigned long, const unsigned char*, unsigned int);

ZlibCrc32 FindZlibCrc32() {
  static const ZlibCrc32 fn = reinterpret_cast<ZlibCrc32>(dlsym(RTLD_DEFAULT, "crc32"));
  return fn;
}

uint32_t Crc32(const uint8_t* p, size_t n) {
  ZlibCrc32 zlib = FindZlibCrc32();
  if (zlib == nullptr) return Crc32Tables(p, n);
  unsigned long crc = zlib(0, nullptr, 0);
  constexpr size_t kChunk = size_t{1} << 30;  // its length is an unsigned int
  for (; n > 0;) {
    size_t k = n < kChunk ? n : kChunk;
    crc = zlib(crc, p, static_cast<unsigned int>(k));
    p += k;
    n -= k;
  }
  return static_cast<uint32_t>(crc);
}

// readStorage(fd, position, nbytes) -> {storage: uint8 tensor [nbytes], crc}. The caller has checked
// that the range lies inside the file; a short read (the file shrank) is an error, not zeros.
Napi::Value ReadStorage(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  int64_t fd = ToInt(env, info[0], "readStorage");
  int64_t position = ToInt(env, info[1], "readStorage");
  int64_t nbytes = ToInt(env, info[2], "readStorage");
  if (fd < 0 || position < 0 || nbytes < 0) ThrowArg(env, "readStorage", "negative file descriptor, position or size");
  at::Tensor storage = at::empty({nbytes}, at::TensorOptions().dtype(at::kByte));
  uint8_t* p = storage.data_ptr<uint8_t>();
  int64_t done = 0;
  while (done < nbytes) {
    ssize_t got = pread(static_cast<int>(fd), p + done, static_cast<size_t>(nbytes - done),
                        static_cast<off_t>(position + done));
    if (got < 0 && errno == EINTR) continue;
    if (got < 0) throw std::runtime_error(std::string("read failed: ") + std::strerror(errno));
    if (got == 0) {
      throw std::runtime_error("the file ends after " + std::to_string(position + done) + " bytes, inside a record of " +
                               std::to_string(nbytes) + " bytes at offset " + std::to_string(position));
    }
    done += got;
  }
  Napi::Object out = Napi::Object::New(env);
  out.Set("crc", Napi::Number::New(env, Crc32(p, static_cast<size_t>(nbytes))));
  out.Set("storage", Tensor::Wrap(env, storage));
  return out;
}

// torch.load(f, {mmap: true}): the whole file mapped once, private (copy-on-write: an in-place op on a
// loaded tensor changes this process's pages, never the file), and every storage a tensor over its bytes
// in place. The mapping lives while any such tensor does (each holds a reference), so N bytes of file
// cost N bytes of address space however many records overlap, and nothing is read until used.
struct Mapping {
  void* base = nullptr;
  size_t size = 0;
  ~Mapping() {
    if (base != nullptr) munmap(base, size);
  }
};
using MappingRef = std::shared_ptr<Mapping>;

void FreeMappingRef(Napi::Env, MappingRef* ref) { delete ref; }

// mapFile(fd, size) -> an external handle to the mapping (the JS side holds it for one load only).
Napi::Value MapFile(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  int64_t fd = ToInt(env, info[0], "mapFile");
  int64_t size = ToInt(env, info[1], "mapFile");
  if (fd < 0 || size <= 0) ThrowArg(env, "mapFile", "a negative file descriptor or an empty file");
  void* base = mmap(nullptr, static_cast<size_t>(size), PROT_READ | PROT_WRITE, MAP_PRIVATE, static_cast<int>(fd), 0);
  if (base == MAP_FAILED) throw std::runtime_error(std::string("mmap failed: ") + std::strerror(errno));
  auto mapping = std::make_shared<Mapping>();
  mapping->base = base;
  mapping->size = static_cast<size_t>(size);
  return Napi::External<MappingRef>::New(env, new MappingRef(std::move(mapping)), FreeMappingRef);
}

// mappedStorage(mapping, position, nbytes) -> uint8 tensor [nbytes] over the file's bytes at position.
Napi::Value MappedStorage(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!info[0].IsExternal()) ThrowArg(env, "mappedStorage", "the mapping is not a mapFile() handle");
  MappingRef mapping = *info[0].As<Napi::External<MappingRef>>().Data();
  int64_t position = ToInt(env, info[1], "mappedStorage");
  int64_t nbytes = ToInt(env, info[2], "mappedStorage");
  if (position < 0 || nbytes < 0 || static_cast<uint64_t>(position) + static_cast<uint64_t>(nbytes) > mapping->size) {
    ThrowArg(env, "mappedStorage", "the record lies outside the mapped file");
  }
  uint8_t* p = static_cast<uint8_t*>(mapping->base) + position;
  at::Tensor storage = at::from_blob(
      p, {nbytes}, [mapping](void*) mutable { mapping.reset(); }, at::TensorOptions().dtype(at::kByte));
  return Tensor::Wrap(env, storage);
}

// rebuildTensor(bytes, dtype, size, stride, offset): torch._utils._rebuild_tensor_v2 on a uint8 storage,
// the bytes seen as `dtype` then as_strided, in one call: one handle per tensor rather than one for the
// dtype view too (torch.load makes one of these per tensor in the file). The caller has checked that the
// storage holds whole elements and that the view stays inside it.
Napi::Value RebuildTensor(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const at::Tensor& bytes = Tensor::Get(env, info[0], "rebuildTensor");
  at::ScalarType dtype = ParseDtype(env, info[1].ToString().Utf8Value());
  std::vector<int64_t> size = ToIntList(env, info[2], "rebuildTensor");
  std::vector<int64_t> stride = ToIntList(env, info[3], "rebuildTensor");
  int64_t offset = ToInt(env, info[4], "rebuildTensor");
  at::Tensor base = dtype == at::kByte ? bytes : bytes.view(dtype);
  return Tensor::Wrap(env, base.as_strided(size, stride, offset));
}

// storageOf(tensor) -> {bytes, id, offset, stride}: what torch.save writes for a tensor, as PyTorch's
// _rebuild_tensor_v2(storage, storage_offset, size, stride): `bytes` is a uint8 tensor over the tensor's
// whole storage on its device (not a copy), `id` the storage's address (tensors that share a storage share
// it, so the file holds it once, as PyTorch keys storages by their StorageImpl).
Napi::Value StorageOf(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  at::Tensor t = Tensor::Get(env, info[0], "storageOf").detach();
  // An efficient zero tensor has no storage, and conjugate or negative views keep their values
  // unresolved: such a tensor is written as its values, in a storage of its own.
  if (t._is_zerotensor()) t = at::zeros(t.sizes(), t.options());
  t = t.resolve_conj().resolve_neg();
  const c10::Storage& storage = t.storage();
  at::Tensor bytes = at::empty({0}, t.options().dtype(at::kByte).requires_grad(false));
  bytes.set_(storage, 0, {static_cast<int64_t>(storage.nbytes())}, {1});
  Napi::Array stride = Napi::Array::New(env, t.dim());
  for (int64_t d = 0; d < t.dim(); ++d) stride.Set(static_cast<uint32_t>(d), Napi::Number::New(env, static_cast<double>(t.stride(d))));
  Napi::Object out = Napi::Object::New(env);
  out.Set("bytes", Tensor::Wrap(env, bytes));
  out.Set("id", Napi::String::New(env, std::to_string(reinterpret_cast<uintptr_t>(storage.unsafeGetStorageImpl()))));
  out.Set("offset", Napi::Number::New(env, static_cast<double>(t.storage_offset())));
  out.Set("stride", stride);
  return out;
}

const Entry kSerialization[] = {
    {"rebuildTensor", RebuildTensor, kAsThrown},
    {"storageOf", StorageOf, kAsThrown},
    {"readStorage", ReadStorage, kAsThrown},
    {"mapFile", MapFile, kAsThrown},
    {"mappedStorage", MappedStorage, kAsThrown},
};

}  // namespace

void InitSerialization(Napi::Env env, Napi::Object exports) {
  Export(env, exports, kSerialization);
}

}  // namespace tn
