// torch.load's storages, read from the checkpoint file straight into tensor memory: one copy of the
// bytes and no JS buffer in between (a JS Buffer would double the peak memory and caps at a few GiB),
// and pread takes 64-bit offsets, so records beyond 2 GiB in the file load too.
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstring>

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

uint32_t Crc32(const uint8_t* p, size_t n) {
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

const Entry kSerialization[] = {
    {"readStorage", ReadStorage, kAsThrown},
};

}  // namespace

void InitSerialization(Napi::Env env, Napi::Object exports) {
  Export(env, exports, kSerialization);
}

}  // namespace tn
