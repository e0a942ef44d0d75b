"""A LangChain chat model over a local transformers model directory (text LM or vision-language model).

``HFChatModel(model_path=...)`` loads lazily on the first call; ``HFChatModel.from_path(path, **kw)`` loads now.
Text LMs use ``AutoModelForCausalLM`` + the tokenizer's chat template. Vision-language models (a config with a
``vision_config``) use ``AutoProcessor`` + ``AutoModelForImageTextToText`` (or the class the config names); the
images in the messages go through the processor and its chat template.

Message content may be a string or LangChain content blocks: ``{"type": "text", "text": ...}`` and images as
``{"type": "image_url", "image_url": {"url": ...}}``, ``{"type": "image", "source_type": "url"|"base64", ...}``
or ``{"type": "image", "url"|"base64": ...}``, where a url is a ``data:`` URL, a ``file://`` URL or a path.

Generation: ``max_new_tokens``, ``temperature`` (0 = greedy), ``top_p``, ``stop`` sequences (the reply is cut
before the first one); per-call overrides through ``invoke(..., max_new_tokens=..., temperature=..., top_p=...)``.
The reply's ``usage_metadata`` counts prompt and generated tokens. One instance may serve concurrent runs:
loading and generation are serialised by a lock (the fast decoder's KV cache is shared state).

Decoding: text LMs whose architecture supports a static cache go through ``toolagent.models.decoding`` (KV of the
prompt prefix reused across calls, guided decoding at one bitmask per token, verified jump-forward drafts), which
chooses the same tokens as ``generate`` in greedy mode; vision-language models and ``fast_decoding=False`` use
``model.generate``. ``quantize="int8"`` trades exact fp32 greedy output for about 4x fewer weight bytes per token.
``prefers_compact_prompt`` tells the settings that a model is small (< 1B parameters by its config).
"""

from __future__ import annotations

import base64
import binascii
import io
import json
import threading
import urllib.parse
from pathlib import Path
from typing import Any

from langchain_core.callbacks import CallbackManagerForLLMRun
from langchain_core.language_models.chat_models import BaseChatModel
from langchain_core.messages import AIMessage, BaseMessage
from langchain_core.outputs import ChatGeneration, ChatResult
from pydantic import ConfigDict, PrivateAttr

from toolagent.errors import BadInput, ConfigError

_ROLES = {"system": "system", "human": "user", "ai": "assistant", "tool": "user", "function": "user",
          "chat": "user"}
_MODEL_FILES = ("model.safetensors", "model.safetensors.index.json", "pytorch_model.bin",
                "pytorch_model.bin.index.json")


def check_model_dir(path: str | Path) -> Path:
    """Raise ConfigError unless ``path`` is a directory holding a transformers model (config + weights)."""
    folder = Path(path).expanduser()
    if not folder.exists():
        raise ConfigError(f"model path not found: {folder}")
    if not folder.is_dir():
        raise ConfigError(f"model path is not a directory: {folder} (expected a transformers model folder)")
    if not (folder / "config.json").is_file():
        raise ConfigError(f"no transformers model in {folder} (config.json missing)")
    if not any((folder / name).is_file() for name in _MODEL_FILES):
        raise ConfigError(f"no model weights in {folder} (expected model.safetensors or pytorch_model.bin)")
    return folder


# ---------------------------------------------------------------------------------------------------- images
def _image_from_bytes(data: bytes, what: str) -> Any:
    from PIL import Image

    try:
        with Image.open(io.BytesIO(data)) as img:
            img.load()
            return img.convert("RGB")
    except (OSError, SyntaxError, ValueError) as exc:
        raise BadInput(f"cannot read image from {what}: {exc}") from None


def load_image(source: Any) -> Any:
    """A PIL RGB image from a PIL image, a ``data:`` URL, a ``file://`` URL or a file path (BadInput if not)."""
    from PIL import Image

    from toolagent.images import open_rgb

    if isinstance(source, Image.Image):
        return source.convert("RGB")
    text = str(source).strip()
    if text.startswith("data:"):
        header, _, payload = text.partition(",")
        if ";base64" not in header:
            return _image_from_bytes(urllib.parse.unquote_to_bytes(payload), "data URL")
        try:
            raw = base64.b64decode(payload, validate=False)
        except (binascii.Error, ValueError) as exc:
            raise BadInput(f"bad base64 image data: {exc}") from None
        return _image_from_bytes(raw, "data URL")
    if text.startswith(("http://", "https://")):
        raise BadInput(f"remote image URLs are not supported by local models; pass a file or data URL: {text}")
    if text.startswith("file://"):
        text = urllib.parse.unquote(urllib.parse.urlparse(text).path)
    path = Path(text).expanduser()
    if not path.is_file():
        raise BadInput(f"image not found: {path}")
    return open_rgb(path)


def _block_image(block: dict[str, Any]) -> Any | None:
    """The image source of a content block, or None when the block is not an image."""
    kind = block.get("type")
    if kind == "image_url":
        ref = block.get("image_url")
        return ref.get("url") if isinstance(ref, dict) else ref
    if kind != "image":
        return None
    if block.get("image") is not None:  # transformers-style {"type": "image", "image": PIL | path}
        return block["image"]
    data = block.get("base64") or (block.get("data") if block.get("source_type") == "base64" else None)
    if data:
        return f"data:{block.get('mime_type') or 'image/png'};base64,{data}"
    source = block.get("url") or block.get("path")
    if source:
        return source
    raise BadInput(f"unsupported image content block (keys: {', '.join(sorted(block))})")


def split_content(content: str | list[Any]) -> list[tuple[str, Any]]:
    """Normalise message content to ``[("text", str) | ("image", source)]`` in order."""
    if isinstance(content, str):
        return [("text", content)]
    parts: list[tuple[str, Any]] = []
    for block in content:
        if isinstance(block, str):
            parts.append(("text", block))
        elif isinstance(block, dict):
            image = _block_image(block)
            if image is not None:
                parts.append(("image", image))
            elif block.get("type") == "text":
                parts.append(("text", str(block.get("text", ""))))
    return parts


def to_hf_messages(messages: list[BaseMessage], multimodal: bool) -> tuple[list[dict[str, Any]], list[Any]]:
    """LangChain messages to transformers chat messages and the images they carry (in order).

    Text models get string content (images become ``[image]``); vision-language models get a list of
    ``{"type": "text"|"image"}`` items and the loaded PIL images.
    """
    converted: list[dict[str, Any]] = []
    images: list[Any] = []
    for message in messages:
        role = _ROLES.get(message.type, "user")
        parts = split_content(message.content)
        if multimodal:
            items: list[dict[str, Any]] = []
            for kind, value in parts:
                if kind == "image":
                    images.append(load_image(value))
                    items.append({"type": "image"})
                else:
                    items.append({"type": "text", "text": value})
            converted.append({"role": role, "content": items})
        else:
            text = "".join(value if kind == "text" else "[image]" for kind, value in parts)
            converted.append({"role": role, "content": text})
    return converted, images


def _plain_prompt(messages: list[dict[str, Any]]) -> str:
    """Fallback prompt for models without a chat template."""
    lines = [f"{m['role'].capitalize()}: {m['content']}" for m in messages]
    return "\n".join(lines) + "\nAssistant:"


# ---------------------------------------------------------------------------------------------------- model
class HFChatModel(BaseChatModel):
    """Chat model over a local transformers model folder (see module docstring)."""

    model_config = ConfigDict(arbitrary_types_allowed=True)

    model_path: str
    max_new_tokens: int = 512
    temperature: float = 0.0
    top_p: float | None = None
    stop: list[str] | None = None
    #: "auto" = cuda when available, else cpu.
    device: str = "auto"
    #: "auto" = float32 on CPU, bfloat16 (float16 where unsupported) on CUDA; or a torch dtype name.
    torch_dtype: str = "auto"
    #: None = detect from the model config (a ``vision_config`` means vision-language).
    multimodal: bool | None = None
    #: text LMs decode with toolagent's decoder (static KV cache reused across calls, one bitmask per token
    #: for guided output, verified jump-forward drafts); False = plain ``model.generate``.
    fast_decoding: bool = True
    #: "int8" = dynamic int8 quantisation of the Linear layers on CPU (about 4x fewer weight bytes per token;
    #: greedy output can differ from fp32, see bench/decode.py); "none" = the weights as loaded.
    quantize: str = "none"

    _lock: threading.RLock = PrivateAttr(default_factory=threading.RLock)
    _model: Any = PrivateAttr(default=None)
    _tokenizer: Any = PrivateAttr(default=None)
    _processor: Any = PrivateAttr(default=None)
    _config: dict[str, Any] = PrivateAttr(default_factory=dict)
    _decoder: Any = PrivateAttr(default=None)

    def model_post_init(self, context: Any, /) -> None:
        if self.quantize not in ("none", "int8"):
            raise ConfigError(f"unknown quantize mode {self.quantize!r} (expected none or int8)")
        folder = check_model_dir(self.model_path)
        try:
            self._config = json.loads((folder / "config.json").read_text())
        except (OSError, ValueError) as exc:
            raise ConfigError(f"unreadable model config {folder / 'config.json'}: {exc}") from None

    @classmethod
    def from_path(cls, path: str | Path, **kwargs: Any) -> HFChatModel:
        """Build and load now (errors surface here rather than on the first call)."""
        model = cls(model_path=str(Path(path).expanduser()), **kwargs)
        model.load()
        return model

    @property
    def _llm_type(self) -> str:
        return "hf"

    @property
    def _identifying_params(self) -> dict[str, Any]:
        return {"model_path": self.model_path, "max_new_tokens": self.max_new_tokens,
                "temperature": self.temperature, "top_p": self.top_p}

    @property
    def is_multimodal(self) -> bool:
        """Whether the model takes images (the planner sends images only to multimodal models)."""
        if self.multimodal is not None:
            return self.multimodal
        return "vision_config" in self._config

    @property
    def is_loaded(self) -> bool:
        return self._model is not None

    @property
    def parameter_estimate(self) -> int | None:
        """Parameters the config implies (no weights loaded), or None when the config lacks the sizes."""
        return estimate_parameters(self._config)

    @property
    def prefers_compact_prompt(self) -> bool:
        """True for small local models (under 1B parameters by the config), which plan better from the compact
        prompt profile; the settings choose the profile from this."""
        count = self.parameter_estimate
        return count is not None and count < SMALL_MODEL_PARAMS

    # ------------------------------------------------------------------------------------------- loading
    def _torch_settings(self) -> tuple[str, Any]:
        import torch

        device = self.device
        if device == "auto":
            device = "cuda" if torch.cuda.is_available() else "cpu"
        if self.torch_dtype != "auto":
            dtype = getattr(torch, self.torch_dtype, None)
            if not isinstance(dtype, torch.dtype):
                raise ConfigError(f"unknown torch dtype {self.torch_dtype!r}")
        elif device.startswith("cuda"):
            dtype = torch.bfloat16 if torch.cuda.is_bf16_supported() else torch.float16
        else:
            dtype = torch.float32
        return device, dtype

    def load(self) -> None:
        """Load tokenizer/processor and weights (idempotent, thread-safe)."""
        with self._lock:
            if self._model is None:
                try:
                    self._load_locked()
                except ConfigError:
                    raise
                except (OSError, ValueError, KeyError, ImportError, RuntimeError) as exc:
                    first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
                    raise ConfigError(f"cannot load model from {self.model_path}: {first}") from None

    def _load_locked(self) -> None:
        import transformers

        transformers.utils.logging.disable_progress_bar()  # no "Loading weights" bars in the CLI's output

        device, dtype = self._torch_settings()
        path = self.model_path
        if self.is_multimodal:
            processor = transformers.AutoProcessor.from_pretrained(path)
            try:
                model = transformers.AutoModelForImageTextToText.from_pretrained(path, dtype=dtype)
            except ValueError:  # a model class the auto mapping does not know: use the one the config names
                names = self._config.get("architectures") or []
                classes = [getattr(transformers, n) for n in names if hasattr(transformers, n)]
                if not classes:
                    raise
                model = classes[0].from_pretrained(path, dtype=dtype)
            self._processor = processor
            self._tokenizer = getattr(processor, "tokenizer", None) or processor
        else:
            self._tokenizer = transformers.AutoTokenizer.from_pretrained(path)
            model = transformers.AutoModelForCausalLM.from_pretrained(path, dtype=dtype)
        model = model.to(device).eval()
        if self.quantize == "int8":
            if device != "cpu":
                raise ConfigError("quantize='int8' is for CPU inference; use the default weights on a GPU")
            model = quantize_int8(model)
        self._model = model
        if self.fast_decoding and not self.is_multimodal:
            from toolagent.models.decoding import Decoder, supports_fast_path

            if supports_fast_path(model):
                self._decoder = Decoder(model, self._tokenizer, self._special_ids()[0])

    # ---------------------------------------------------------------------------------------- generation
    def _render(self, hf_messages: list[dict[str, Any]]) -> str:
        owner = self._processor if self._processor is not None else self._tokenizer
        if getattr(owner, "chat_template", None) or getattr(self._tokenizer, "chat_template", None):
            if not getattr(owner, "chat_template", None):
                owner = self._tokenizer
            return owner.apply_chat_template(hf_messages, add_generation_prompt=True, tokenize=False)
        return _plain_prompt(hf_messages)

    def _inputs(self, messages: list[BaseMessage]) -> Any:
        hf_messages, images = to_hf_messages(messages, self.is_multimodal)
        prompt = self._render(hf_messages)
        if self._processor is not None:
            inputs = self._processor(text=prompt, images=images or None, return_tensors="pt",
                                     add_special_tokens=False)
            # floating inputs (pixel values) follow the weights' dtype, e.g. bfloat16 on CUDA
            return inputs.to(self._model.device, dtype=self._model.dtype)
        inputs = self._tokenizer(prompt, return_tensors="pt", add_special_tokens=False)
        return inputs.to(self._model.device)

    def _special_ids(self) -> tuple[list[int], int | None]:
        """The end-of-sequence ids and the pad id generation uses."""
        base = self._model.generation_config
        eos = base.eos_token_id if base.eos_token_id is not None else self._tokenizer.eos_token_id
        eos_ids = [int(e) for e in (eos if isinstance(eos, list) else [eos]) if e is not None]
        pad = base.pad_token_id if base.pad_token_id is not None else self._tokenizer.pad_token_id
        if pad is None and eos_ids:
            pad = eos_ids[0]
        return eos_ids, pad

    def _generation_config(self, max_new_tokens: int, temperature: float, top_p: float | None) -> Any:
        from transformers import GenerationConfig

        base = self._model.generation_config
        eos, pad = self._special_ids()
        settings: dict[str, Any] = {"max_new_tokens": max_new_tokens, "eos_token_id": eos, "pad_token_id": pad,
                                    "bos_token_id": base.bos_token_id, "do_sample": temperature > 0}
        if temperature > 0:
            settings["temperature"] = temperature
            settings["top_p"] = top_p if top_p is not None else 1.0
            settings["top_k"] = 0
        return GenerationConfig(**settings)

    def _guidance(self, json_schema: dict[str, Any] | None) -> Any:
        """Guided decoding: with ``json_schema`` (bind(json_schema=...)), output is constrained to it."""
        from transformers import LogitsProcessorList

        if not json_schema:
            return LogitsProcessorList()
        from toolagent.models.guided import json_logits_processor

        processor = json_logits_processor(self._tokenizer, json_schema, _output_vocab(self._model))
        return LogitsProcessorList([processor] if processor is not None else [])

    def _decode_fast(self, prompt: list[int], stops: list[str], max_new_tokens: int, temperature: float,
                     top_p: float | None, json_schema: dict[str, Any] | None) -> tuple[list[int], str]:
        from toolagent.models.decoding import Sampling
        from toolagent.models.guided import compiled_grammar

        grammar = compiled_grammar(self._tokenizer, json_schema, _output_vocab(self._model)) if json_schema else None
        result = self._decoder.generate(prompt, Sampling(max_new_tokens, temperature, top_p), grammar=grammar,
                                        stops=stops)
        return result.tokens, result.finish

    def _decode_generate(self, inputs: Any, stops: list[str], max_new_tokens: int, temperature: float,
                         top_p: float | None, json_schema: dict[str, Any] | None) -> list[int]:
        import torch
        from transformers import StoppingCriteriaList

        prompt_len = int(inputs["input_ids"].shape[1])
        criteria = StoppingCriteriaList([_StopOnStrings(self._tokenizer, stops, prompt_len)] if stops else [])
        with torch.inference_mode():
            output = self._model.generate(
                **inputs, generation_config=self._generation_config(max_new_tokens, temperature, top_p),
                stopping_criteria=criteria, logits_processor=self._guidance(json_schema))
        return output[0, prompt_len:].tolist()

    def _generate(self, messages: list[BaseMessage], stop: list[str] | None = None,
                  run_manager: CallbackManagerForLLMRun | None = None, **kwargs: Any) -> ChatResult:
        stops = [s for s in (stop if stop is not None else self.stop) or [] if s]
        max_new_tokens = int(kwargs.get("max_new_tokens", self.max_new_tokens))
        temperature = float(kwargs.get("temperature", self.temperature))
        top_p = kwargs.get("top_p", self.top_p)
        with self._lock:
            self.load()
            inputs = self._inputs(messages)
            prompt_len = int(inputs["input_ids"].shape[1])
            if self._decoder is not None:
                new_ids, finish = self._decode_fast(inputs["input_ids"][0].tolist(), stops, max_new_tokens,
                                                    temperature, top_p, kwargs.get("json_schema"))
            else:
                new_ids = self._decode_generate(inputs, stops, max_new_tokens, temperature, top_p,
                                                kwargs.get("json_schema"))
                finish = "length" if len(new_ids) >= max_new_tokens else "stop"
            text = self._tokenizer.decode(new_ids, skip_special_tokens=True)
        for s in stops:
            cut = text.find(s)
            if cut >= 0:
                text, finish = text[:cut], "stop"
        text = text.strip()
        usage = {"input_tokens": prompt_len, "output_tokens": len(new_ids),
                 "total_tokens": prompt_len + len(new_ids)}
        message = AIMessage(content=text, usage_metadata=usage,
                            response_metadata={"model_name": Path(self.model_path).name, "finish_reason": finish})
        return ChatResult(generations=[ChatGeneration(message=message)], llm_output={"token_usage": usage})


def _output_vocab(model: Any) -> int:
    head = model.get_output_embeddings()
    size = getattr(head, "out_features", None)  # nn.Linear and its int8 replacement both have it
    return int(size if size is not None else head.weight.shape[0])


def quantize_int8(model: Any) -> Any:
    """Dynamic int8 quantisation (per-channel weights, fbgemm) of every Linear layer, in place."""
    import warnings

    import torch
    from torch.ao.quantization import per_channel_dynamic_qconfig, quantize_dynamic

    with warnings.catch_warnings():  # torch.ao's migration notices; the eager API is what runs on this CPU build
        warnings.simplefilter("ignore")
        return quantize_dynamic(model, {torch.nn.Linear: per_channel_dynamic_qconfig}, dtype=torch.qint8,
                                inplace=True)


#: below this many parameters a local model prefers the compact prompt profile
SMALL_MODEL_PARAMS = 1_000_000_000


def estimate_parameters(config: dict[str, Any]) -> int | None:
    """Parameter count of a decoder LM implied by its config.json (the text config of a VLM), or None."""
    text = config.get("text_config") or config
    try:
        hidden, layers = int(text["hidden_size"]), int(text["num_hidden_layers"])
        vocab, inter = int(text["vocab_size"]), int(text["intermediate_size"])
        heads = int(text.get("num_attention_heads") or 1)
        head_dim = int(text.get("head_dim") or hidden // heads)
        kv_heads = int(text.get("num_key_value_heads") or heads)
    except (KeyError, TypeError, ValueError):
        return None
    attention = 2 * hidden * heads * head_dim + 2 * hidden * kv_heads * head_dim
    embeddings = vocab * hidden * (1 if text.get("tie_word_embeddings", config.get("tie_word_embeddings", True)) else 2)
    return embeddings + layers * (attention + 3 * hidden * inter)


class _StopOnStrings:
    """Stopping criterion: the generated text contains one of the stop strings.

    Only the last few tokens are decoded each step (enough to cover the longest stop string even at one byte
    per token), so the check stays O(1) per token; the reply text is cut exactly afterwards anyway.
    """

    def __init__(self, tokenizer: Any, stops: list[str], prompt_len: int) -> None:
        from toolagent.models.decoding import stop_window

        self.tokenizer, self.stops, self.prompt_len = tokenizer, stops, prompt_len
        self.window = stop_window(stops)

    def __call__(self, input_ids: Any, scores: Any, **kwargs: Any) -> Any:
        import torch

        from toolagent.models.decoding import tail_has_stop

        start = max(self.prompt_len, int(input_ids.shape[1]) - self.window)
        done = [tail_has_stop(self.tokenizer, row[start:].tolist(), self.stops, self.window) for row in input_ids]
        return torch.tensor(done, dtype=torch.bool, device=input_ids.device)
