// torch.load's storages, read from the checkpoint file straight into tensor memory: one copy of the
// bytes and no JS buffer in between (a JS Buffer would double the peak memory and caps at a few GiB),
// and pread takes 64-bit offsets, so records beyond 2 GiB in the file load too.
#if defined(__x86_64__)
#include <immintrin.h>
#endif
#include <sys/mman.h>
#include <sys/uio.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstdio>
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

#if defined(__x86_64__)
// CRC-32 by carry-less multiplication (Intel's "Fast CRC Computation for Generic Polynomials Using PCLMULQDQ",
// as zlib's SIMD builds do it): four 128-bit lanes folded 64 bytes at a time, then into one, then Barrett-
// reduced. 10-20x the tables' speed; the zlib a Node links (Debian's: the system one) may have no SIMD path,
// and checking a state dict's records was a third of load's CPU time. `crc` is the running register (not
// inverted); `n` is a multiple of 16, at least 64.
#define TN_PCLMUL __attribute__((target("pclmul,sse4.1")))
TN_PCLMUL inline __m128i Load(const uint8_t* q) { return _mm_loadu_si128(reinterpret_cast<const __m128i*>(q)); }
// a * k (low halves) ^ a * k (high halves) ^ b: one lane folded forward onto the next data.
TN_PCLMUL inline __m128i Fold(__m128i a, __m128i k, __m128i b) {
  return _mm_xor_si128(_mm_xor_si128(_mm_clmulepi64_si128(a, k, 0x00), _mm_clmulepi64_si128(a, k, 0x11)), b);
}

TN_PCLMUL uint32_t Crc32Fold(const uint8_t* p, size_t n, uint32_t crc) {
  alignas(16) static const uint64_t k1k2[] = {0x0154442bd4, 0x01c6e41596};
  alignas(16) static const uint64_t k3k4[] = {0x01751997d0, 0x00ccaa009e};
  alignas(16) static const uint64_t k5k0[] = {0x0163cd6124, 0x0000000000};
  alignas(16) static const uint64_t poly[] = {0x01db710641, 0x01f7011641};
  __m128i x1 = _mm_xor_si128(Load(p), _mm_cvtsi32_si128(static_cast<int>(crc)));
  __m128i x2 = Load(p + 16), x3 = Load(p + 32), x4 = Load(p + 48);
  p += 64;
  n -= 64;
  __m128i k = _mm_load_si128(reinterpret_cast<const __m128i*>(k1k2));
  for (; n >= 64; p += 64, n -= 64) {
    x1 = Fold(x1, k, Load(p));
    x2 = Fold(x2, k, Load(p + 16));
    x3 = Fold(x3, k, Load(p + 32));
    x4 = Fold(x4, k, Load(p + 48));
  }
  k = _mm_load_si128(reinterpret_cast<const __m128i*>(k3k4));
  x1 = Fold(x1, k, x2);
  x1 = Fold(x1, k, x3);
  x1 = Fold(x1, k, x4);
  for (; n >= 16; p += 16, n -= 16) x1 = Fold(x1, k, Load(p));
  // 128 bits to 64, then Barrett reduction to 32.
  __m128i mask = _mm_setr_epi32(~0, 0, ~0, 0);
  x2 = _mm_clmulepi64_si128(x1, k, 0x10);
  x1 = _mm_xor_si128(_mm_srli_si128(x1, 8), x2);
  k = _mm_loadl_epi64(reinterpret_cast<const __m128i*>(k5k0));
  x2 = _mm_srli_si128(x1, 4);
  x1 = _mm_xor_si128(_mm_clmulepi64_si128(_mm_and_si128(x1, mask), k, 0x00), x2);
  k = _mm_load_si128(reinterpret_cast<const __m128i*>(poly));
  x2 = _mm_clmulepi64_si128(_mm_and_si128(x1, mask), k, 0x10);
  x2 = _mm_clmulepi64_si128(_mm_and_si128(x2, mask), k, 0x00);
  return static_cast<uint32_t>(_mm_extract_epi32(_mm_xor_si128(x1, x2), 1));
}

bool HasPclmul() {
  static const bool has = __builtin_cpu_supports("pclmul") && __builtin_cpu_supports("sse4.1");
  return has;
}
#endif

uint32_t Crc32(const uint8_t* p, size_t n) {
#if defined(__x86_64__)
  if (n >= 64 && HasPclmul()) {
    size_t bulk = n & ~size_t{15};
    uint32_t crc = Crc32Fold(p, bulk, 0xffffffffu);
    const CrcTables& t = Tables();
    for (p += bulk, n -= bulk; n--;) crc = t[0][(crc ^ *p++) & 0xff] ^ (crc >> 8);
    return crc ^ 0xffffffffu;
  }
#endif
  return Crc32Tables(p, n);
}

// torch.load's storages live here between reading and the tensors' creation, as at::Tensors (uint8, one per
// storage key): no JS handle per storage. A storage that map_location places elsewhere is handed to JS
// (archiveStorage) and put back moved (setArchiveStorage); rebuildTensors empties the archive.
struct Mapping;
using MappingRef = std::shared_ptr<Mapping>;
struct Archive {
  std::vector<at::Tensor> storages;
};

void FreeArchive(Napi::Env, Archive* archive) { delete archive; }

Archive& GetArchive(Napi::Env env, const Napi::Value& v, const char* where) {
  if (!v.IsExternal()) ThrowArg(env, where, "the archive is not a readStorages() handle");
  return *v.As<Napi::External<Archive>>().Data();
}

// pread until `n` bytes are in; false when the file ends first (it shrank, or lies about its records).
bool ReadAt(int fd, uint8_t* p, size_t n, int64_t position) {
  size_t done = 0;
  while (done < n) {
    ssize_t got = pread(fd, p + done, n - done, static_cast<off_t>(position + static_cast<int64_t>(done)));
    if (got < 0 && errno == EINTR) continue;
    if (got < 0) throw std::runtime_error(std::string("read failed: ") + std::strerror(errno));
    if (got == 0) return false;
    done += static_cast<size_t>(got);
  }
  return true;
}

std::string Hex(uint32_t v) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "0x%08x", v);
  return buf;
}

// A uint8 CPU tensor of n bytes over fresh memory from the CPU allocator (torch.memory() counts it), made as
// at::empty makes it but without a trip through the dispatcher: torch.load makes one per storage.
at::Tensor NewBytes(int64_t n) {
  c10::Storage storage(c10::Storage::use_byte_size_t(), static_cast<size_t>(n), c10::GetAllocator(c10::DeviceType::CPU), /*resizable=*/true);
  at::Tensor t = at::detail::make_tensor<c10::TensorImpl>(std::move(storage), c10::DispatchKeySet(c10::DispatchKey::CPU),
                                                          caffe2::TypeMeta::Make<uint8_t>());
  t.unsafeGetTensorImpl()->set_sizes_contiguous({n});
  return t;
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

MappingRef MapFile(int fd, int64_t size) {
  if (size <= 0) throw std::runtime_error("mmap of an empty file");
  void* base = mmap(nullptr, static_cast<size_t>(size), PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);
  if (base == MAP_FAILED) throw std::runtime_error(std::string("mmap failed: ") + std::strerror(errno));
  auto mapping = std::make_shared<Mapping>();
  mapping->base = base;
  mapping->size = static_cast<size_t>(size);
  return mapping;
}

// One record of readStorages: where its local header is, its size and CRC-32, how to get its bytes, and the
// length of its name (a hint: where torch.save puts the payload, see ReadGuessed).
enum RecordFlag { kRead = 0, kMapped = 1, kAbsent = 2 };
constexpr size_t kRecordFields = 5;  // localOffset, size, crc, flag, nameLength
constexpr size_t kLocalHeaderSize = 30;
constexpr int64_t kAlignment = 64;
constexpr int64_t kMaxGuessedHeader = 1024;

uint16_t U16(const uint8_t* p) { return static_cast<uint16_t>(p[0] | (p[1] << 8)); }

struct StorageReader {
  int fd;
  int64_t fileSize;
  int64_t dataEnd;  // where the central directory starts: no record reaches past it
  Napi::Array names;
  MappingRef mapping;

  std::string Name(uint32_t i) const { return names.Get(i).ToString().Utf8Value(); }

  static bool IsLocalHeader(const uint8_t* h) {
    return h[0] == 0x50 && h[1] == 0x4b && h[2] == 0x03 && h[3] == 0x04;
  }
  static int64_t PayloadOffset(int64_t local, const uint8_t* h) {
    return local + static_cast<int64_t>(kLocalHeaderSize) + U16(h + 26) + U16(h + 28);
  }

  // torch.save (PyTorch's writer, and ours) pads each local header with an extra field so that the payload
  // starts at the first multiple of 64 after it: read the header and the payload there in one preadv. True
  // when the header says that is where the payload is and it was read whole (most records: one system call
  // instead of two); false, and the caller reads it the long way, otherwise.
  bool ReadGuessed(int64_t local, int64_t size, int64_t nameLength, uint8_t* p) {
    int64_t start = local + static_cast<int64_t>(kLocalHeaderSize) + nameLength + 4;
    int64_t guess = (start + kAlignment - 1) / kAlignment * kAlignment;
    int64_t headerLength = guess - local;
    if (size <= 0 || headerLength > kMaxGuessedHeader || guess + size > dataEnd) return false;
    uint8_t header[kMaxGuessedHeader];
    iovec iov[2] = {{header, static_cast<size_t>(headerLength)}, {p, static_cast<size_t>(size)}};
    ssize_t got;
    do got = preadv(fd, iov, 2, static_cast<off_t>(local));
    while (got < 0 && errno == EINTR);
    if (got < headerLength || !IsLocalHeader(header) || PayloadOffset(local, header) != guess) return false;
    int64_t payload = got - headerLength;
    return payload == size || ReadAt(fd, p + payload, static_cast<size_t>(size - payload), guess + payload);
  }

  // The payload's offset, from the record's local header; "" or what is wrong (the caller fails with it).
  std::string DataOffset(uint32_t i, int64_t local, int64_t size, int64_t* data) const {
    uint8_t h[kLocalHeaderSize];
    if (local < 0 || local + static_cast<int64_t>(kLocalHeaderSize) > dataEnd || !ReadAt(fd, h, kLocalHeaderSize, local)) {
      return "the local header of record '" + Name(i) + "' (offset " + std::to_string(local) + ") lies outside the data area";
    }
    if (!IsLocalHeader(h)) return "the local header of record '" + Name(i) + "' (offset " + std::to_string(local) + ") is damaged";
    *data = PayloadOffset(local, h);
    if (size < 0 || *data + size > dataEnd) {
      return "record '" + Name(i) + "' (" + std::to_string(size) + " bytes at offset " + std::to_string(*data) +
             ") runs past the data area: the file is truncated or corrupt";
    }
    return "";
  }

  // Record i's bytes as a uint8 tensor (read and CRC-checked, or mapped in place); "" or what is wrong.
  std::string Storage(uint32_t i, const double* r, at::Tensor* out) {
    int64_t size = static_cast<int64_t>(r[1]);
    int flag = static_cast<int>(r[3]);
    if (flag == kAbsent) {
      *out = NewBytes(0);
      return "";
    }
    int64_t local = static_cast<int64_t>(r[0]);
    if (flag == kRead && size > 0) {
      *out = NewBytes(size);
      if (ReadGuessed(local, size, static_cast<int64_t>(r[4]), out->data_ptr<uint8_t>())) return CheckCrc(i, *out, r[2]);
    }
    int64_t data = 0;
    std::string bad = DataOffset(i, local, size, &data);
    if (!bad.empty()) return bad;
    if (flag == kMapped) {
      if (!mapping) mapping = MapFile(fd, fileSize);
      MappingRef ref = mapping;
      uint8_t* p = static_cast<uint8_t*>(ref->base) + data;
      *out = at::from_blob(p, {size}, [ref](void*) mutable { ref.reset(); }, at::TensorOptions().dtype(at::kByte));
      return "";
    }
    if (!out->defined()) *out = NewBytes(size);
    if (!ReadAt(fd, out->data_ptr<uint8_t>(), static_cast<size_t>(size), data)) {
      return "the file ends inside record '" + Name(i) + "' (" + std::to_string(size) + " bytes at offset " + std::to_string(data) + ")";
    }
    return CheckCrc(i, *out, r[2]);
  }

  std::string CheckCrc(uint32_t i, const at::Tensor& bytes, double directoryCrc) const {
    uint32_t crc = Crc32(bytes.data_ptr<uint8_t>(), static_cast<size_t>(bytes.numel()));
    uint32_t expected = static_cast<uint32_t>(directoryCrc);
    if (crc != expected) return "record '" + Name(i) + "' is corrupt (CRC-32 " + Hex(crc) + ", the directory says " + Hex(expected) + ")";
    return "";
  }
};

// readStorages(fd, fileSize, dataEnd, names, records) -> an archive handle, or a string saying which record is
// damaged and how (the caller fails with it, naming the file). `records` is a Float64Array of
// [localOffset, size, crc, flag, nameLength] per storage (flag: 0 read and CRC-checked, 1 mapped in place,
// 2 absent: an empty storage without a record); `names` their record names, read only for messages. All of
// an archive's storages in one call: each is one allocation and one read (header and payload together).
Napi::Value ReadStorages(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const char* where = "readStorages";
  int64_t fd = ToInt(env, info[0], where);
  int64_t fileSize = ToInt(env, info[1], where);
  int64_t dataEnd = ToInt(env, info[2], where);
  if (fd < 0 || fileSize < 0 || dataEnd < 0 || dataEnd > fileSize) ThrowArg(env, where, "a negative file descriptor, or a data area outside the file");
  if (!info[3].IsArray()) ThrowArg(env, where, "names must be an array");
  if (!info[4].IsTypedArray() || info[4].As<Napi::TypedArray>().TypedArrayType() != napi_float64_array) {
    ThrowArg(env, where, "records must be a Float64Array");
  }
  Napi::Float64Array records = info[4].As<Napi::Float64Array>();
  if (records.ElementLength() % kRecordFields != 0) ThrowArg(env, where, "records must hold 5 numbers per storage");
  uint32_t count = static_cast<uint32_t>(records.ElementLength() / kRecordFields);
  StorageReader reader{static_cast<int>(fd), fileSize, dataEnd, info[3].As<Napi::Array>(), nullptr};
  auto archive = std::make_unique<Archive>();
  archive->storages.resize(count);
  for (uint32_t i = 0; i < count; ++i) {
    std::string bad = reader.Storage(i, records.Data() + i * kRecordFields, &archive->storages[i]);
    if (!bad.empty()) return Napi::String::New(env, bad);
  }
  return Napi::External<Archive>::New(env, archive.release(), FreeArchive);
}

// archiveStorage(archive, i) -> storage i as a uint8 tensor (for map_location); setArchiveStorage(archive, i,
// bytes) puts it back where it was placed; releaseArchive(archive) drops them all (a failed load).
Napi::Value ArchiveStorage(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Archive& archive = GetArchive(env, info[0], "archiveStorage");
  int64_t i = ToInt(env, info[1], "archiveStorage");
  if (i < 0 || i >= static_cast<int64_t>(archive.storages.size())) ThrowArg(env, "archiveStorage", "no such storage");
  return Tensor::Wrap(env, archive.storages[static_cast<size_t>(i)]);
}

Napi::Value SetArchiveStorage(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Archive& archive = GetArchive(env, info[0], "setArchiveStorage");
  int64_t i = ToInt(env, info[1], "setArchiveStorage");
  if (i < 0 || i >= static_cast<int64_t>(archive.storages.size())) ThrowArg(env, "setArchiveStorage", "no such storage");
  const at::Tensor& bytes = Tensor::Get(env, info[2], "setArchiveStorage");
  if (bytes.scalar_type() != at::kByte || bytes.dim() != 1) ThrowArg(env, "setArchiveStorage", "a storage is a 1-D uint8 tensor");
  archive.storages[static_cast<size_t>(i)] = bytes;
  return env.Undefined();
}

Napi::Value ReleaseArchive(const Napi::CallbackInfo& info) {
  GetArchive(info.Env(), info[0], "releaseArchive").storages.clear();
  return info.Env().Undefined();
}

// One tensor of rebuildTensors: _rebuild_tensor_v2's (storage, storage_offset, size, stride) and
// requires_grad. As torch._utils does it (an empty tensor set_ to the storage), a loaded tensor is a leaf
// over the storage, not a view of a byte tensor, sharing it with every other tensor of it; made directly,
// as libtorch's own unpickler (torch/csrc/jit/serialization) does, without two trips through the dispatcher.
at::Tensor RebuildOne(const Archive& archive, const std::vector<at::ScalarType>& dtypes, const double*& s, const double* end) {
  if (end - s < 5) throw std::runtime_error("truncated tensor spec");
  auto storage = static_cast<size_t>(s[0]);
  auto dtype = static_cast<size_t>(s[1]);
  auto offset = static_cast<int64_t>(s[2]);
  bool requiresGrad = s[3] != 0;
  auto ndim = static_cast<size_t>(s[4]);
  s += 5;
  if (storage >= archive.storages.size() || dtype >= dtypes.size() || end - s < static_cast<ptrdiff_t>(2 * ndim)) {
    throw std::runtime_error("bad tensor spec");
  }
  std::vector<int64_t> size(s, s + ndim);
  std::vector<int64_t> stride(s + ndim, s + 2 * ndim);
  s += 2 * ndim;
  const at::Tensor& bytes = archive.storages[storage];
  at::Tensor t = at::detail::make_tensor<c10::TensorImpl>(c10::Storage(bytes.storage()), bytes.key_set(),
                                                          caffe2::TypeMeta::fromScalarType(dtypes[dtype]));
  c10::TensorImpl* impl = t.unsafeGetTensorImpl();
  impl->set_storage_offset(offset);
  impl->set_sizes_and_strides(size, stride);
  if (requiresGrad) t.set_requires_grad(true);
  return t;
}

// rebuildTensors(archive, dtypes, specs) -> the archive's tensors, in spec order; the archive is emptied.
// `specs` is a Float64Array of [storage, dtype index, offset, requiresGrad, ndim, ...size, ...stride] per
// tensor; the caller has checked each against its storage's size (torch.load's checkGeometry).
Napi::Value RebuildTensors(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const char* where = "rebuildTensors";
  Archive& archive = GetArchive(env, info[0], where);
  if (!info[1].IsArray()) ThrowArg(env, where, "dtypes must be an array");
  if (!info[2].IsTypedArray() || info[2].As<Napi::TypedArray>().TypedArrayType() != napi_float64_array) {
    ThrowArg(env, where, "specs must be a Float64Array");
  }
  Napi::Array names = info[1].As<Napi::Array>();
  std::vector<at::ScalarType> dtypes;
  for (uint32_t i = 0; i < names.Length(); ++i) dtypes.push_back(ParseDtype(env, names.Get(i).ToString().Utf8Value()));
  Napi::Float64Array specs = info[2].As<Napi::Float64Array>();
  const double* s = specs.Data();
  const double* end = s + specs.ElementLength();
  std::vector<at::Tensor> tensors;
  while (s < end) tensors.push_back(RebuildOne(archive, dtypes, s, end));
  archive.storages.clear();
  Napi::Array out = Napi::Array::New(env, tensors.size());
  for (size_t i = 0; i < tensors.size(); ++i) out.Set(static_cast<uint32_t>(i), Tensor::Wrap(env, std::move(tensors[i])));
  return out;
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
    {"storageOf", StorageOf, kAsThrown},
    {"readStorages", ReadStorages, kAsThrown},
    {"archiveStorage", ArchiveStorage, kAsThrown},
    {"setArchiveStorage", SetArchiveStorage, kAsThrown},
    {"releaseArchive", ReleaseArchive, kAsThrown},
    {"rebuildTensors", RebuildTensors, kAsThrown},
};

}  // namespace

void InitSerialization(Napi::Env env, Napi::Object exports) {
  Export(env, exports, kSerialization);
}

}  // namespace tn
