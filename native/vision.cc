// Image resizing for lib/vision, as torchvision.transforms.functional.resize on tensors: an image is
// [C, H, W] or a batch [N, C, H, W]; uint8 images are interpolated in float32 and rounded back, as
// torchvision does, so results match it.
#include "common.h"
#include "entry.h"
#include "tensor.h"
#include "vision.h"

namespace tn {

namespace {

at::Tensor Interpolate(const at::Tensor& x, at::IntArrayRef size, const std::string& mode, bool antialias) {
  if (mode == "nearest") return at::upsample_nearest2d(x, size);
  if (mode == "bilinear") return antialias ? at::_upsample_bilinear2d_aa(x, size, false) : at::upsample_bilinear2d(x, size, false);
  if (mode == "bicubic") return antialias ? at::_upsample_bicubic2d_aa(x, size, false) : at::upsample_bicubic2d(x, size, false);
  throw std::invalid_argument("unknown interpolation mode '" + mode + "' (expected nearest, bilinear or bicubic)");
}

// resize(image, [height, width], mode, antialias)
Napi::Value Resize(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const at::Tensor& image = Tensor::Get(env, info[0], "resize");
  std::vector<int64_t> size = ToIntList(env, info[1], "resize: size");
  std::string mode = info[2].IsString() ? info[2].As<Napi::String>().Utf8Value() : "bilinear";
  bool antialias = ToBool(info[3], true);
  if (image.dim() != 3 && image.dim() != 4) {
    ThrowArg(env, "resize", "expected an image [C, H, W] or a batch [N, C, H, W], got " + std::to_string(image.dim()) + " dimensions");
  }
  if (size.size() != 2 || size[0] <= 0 || size[1] <= 0) ThrowArg(env, "resize", "size must be [height, width], both positive");
  bool is_uint8 = image.scalar_type() == at::kByte;
  if (!is_uint8 && !at::isFloatingType(image.scalar_type())) ThrowArg(env, "resize", "expected a uint8 or floating-point image");
  at::Tensor x = image.dim() == 3 ? image.unsqueeze(0) : image;
  if (is_uint8) x = x.to(at::kFloat);
  at::Tensor out = Interpolate(x, size, mode, antialias && mode != "nearest");
  if (is_uint8) out = out.round().clamp(0, 255).to(at::kByte);
  if (image.dim() == 3) out = out.squeeze(0);
  return Tensor::Wrap(env, out.contiguous());
}

const Entry kVision[] = {
    {"resize", Resize, kAsThrown},
};

}  // namespace

void InitVision(Napi::Env env, Napi::Object exports) {
  Napi::Object vision = Napi::Object::New(env);
  Export(env, vision, kVision);
  exports.Set("vision", vision);
}

}  // namespace tn
