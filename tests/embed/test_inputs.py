"""LangChain chat input: {"messages": [...]} with text and image content blocks becomes question + image files."""

from __future__ import annotations

import base64
import hashlib
import re
from collections.abc import Sequence
from pathlib import Path

import pytest
from langchain_core.messages import AIMessage, BaseMessage, HumanMessage, SystemMessage
from langchain_core.prompts import ChatPromptTemplate
from langgraph.checkpoint.memory import InMemorySaver

from tests.core.wire import answer_step, reply, step
from tests.embed.helpers import arithmetic_model, latest_output, question_of, user_text
from toolagent import create_tracer1_agent, result_of
from toolagent.embed import from_messages, image_block, to_agent_input
from toolagent.errors import BadInput
from toolagent.models.scripted import ScriptedChatModel
from toolagent.train.synth_draw import price_tag


@pytest.fixture(scope="module")
def tag(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("img") / "tag.png"
    price_tag(path, "Green tea", "4.75")
    return path


def _b64(path: Path) -> str:
    return base64.b64encode(path.read_bytes()).decode("ascii")


def _sha(path: str | Path) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def _ocr_then_answer(messages: Sequence[BaseMessage]) -> str:
    out = latest_output(messages)
    if not out:
        return reply(step("ocr", {"image": "image_0"}), answer_step("?"))
    return reply(answer_step(re.search(r"\d+\.\d\d", out).group(0)))


def test_an_image_url_block_is_decoded_to_a_file_the_tools_read(tag: Path) -> None:
    seen: list[str] = []

    def policy(messages: Sequence[BaseMessage]) -> str:
        seen.append(user_text(messages))
        return _ocr_then_answer(messages)

    agent = create_tracer1_agent(ScriptedChatModel(policy=policy), ["ocr"])
    message = HumanMessage(content=[{"type": "text", "text": "What does the tea cost?"}, image_block(tag)])
    result = result_of(agent.invoke({"messages": [SystemMessage(content="be brief"), message]}))
    assert result.status == "answered" and result.answer == "4.75", result.error
    assert result.question == "What does the tea cost?"
    (ref,) = result.steps[0].planner_input.images
    from PIL import Image

    width, height = Image.open(tag).size
    assert ref.name == "image_0.png" and ref.sha256 == _sha(tag) and (ref.width, ref.height) == (width, height)
    assert "Question: What does the tea cost?" in seen[0] and f"[image_0] image_0.png ({width}x{height})" in seen[0]


@pytest.mark.parametrize("style", ["v1", "v0", "anthropic", "url-string", "file-url", "path"])
def test_image_block_styles_all_yield_the_same_bytes(style: str, tag: Path, tmp_path: Path) -> None:
    data = _b64(tag)
    block = {
        "v1": {"type": "image", "base64": data, "mime_type": "image/png"},
        "v0": {"type": "image", "source_type": "base64", "data": data, "mime_type": "image/png"},
        "anthropic": {"type": "image", "source": {"type": "base64", "media_type": "image/png", "data": data}},
        "url-string": {"type": "image_url", "image_url": f"data:image/png;base64,{data}"},
        "file-url": {"type": "image_url", "image_url": {"url": tag.as_uri()}},
        "path": {"type": "image", "url": str(tag)},
    }[style]
    out = from_messages([{"role": "user", "content": [{"type": "text", "text": "price?"}, block]}], tmp_path)
    assert out["question"] == "price?" and len(out["images"]) == 1
    assert _sha(out["images"][0]) == _sha(tag)


def test_only_the_last_human_turn_is_the_question() -> None:
    out = from_messages([("user", "first question"), AIMessage(content="an answer"), ("human", "second one")])
    assert out == {"question": "second one", "images": []}
    assert from_messages(HumanMessage(content="alone")) == {"question": "alone", "images": []}


@pytest.mark.parametrize("messages, fragment", [
    ([{"role": "user", "content": [{"type": "image_url", "image_url": {"url": "https://x.org/a.png"}}]}],
     "remote image URLs are not fetched"),
    ([{"role": "user", "content": [{"type": "image", "base64": "@@not base64@@", "mime_type": "image/png"}]}],
     "invalid base64"),
    ([{"role": "user", "content": [{"type": "image_url", "image_url": {"url": "data:image/png,rawbytes"}}]}],
     "only base64 data URLs"),
    ([{"role": "user", "content": [{"type": "audio", "base64": "AAAA"}]}], "unsupported content block"),
    ([AIMessage(content="no human here")], "no human message"),
    ([{"role": "user", "content": ["what is this?", {"type": "image", "base64": base64.b64encode(b"plain text, not a picture").decode(),
                                    "mime_type": "image/png"}]}],
     "corrupt or truncated|not an image"),
])
def test_bad_chat_input_ends_the_run_with_a_one_line_error(messages: list, fragment: str) -> None:
    agent = create_tracer1_agent(arithmetic_model(), ["calculator"])
    state = agent.invoke({"messages": messages})
    assert state["status"] == "error" and re.search(fragment, state["error"]), state["error"]
    assert "\n" not in state["error"] and state["steps"] == []


def test_chat_input_on_a_checkpointed_thread_is_read_once(tag: Path) -> None:
    agent = create_tracer1_agent(arithmetic_model(), ["calculator"], checkpointer=InMemorySaver())
    config = {"configurable": {"thread_id": "chat"}}
    first = agent.invoke({"messages": [{"role": "user", "content": [
        {"type": "text", "text": "What is 6 * 7?"}, image_block(tag)]}]}, config)
    assert first["answer"] == "42" and len(first["images"]) == 1
    kept = agent.get_state(config).values["messages"]
    assert "base64" not in str(kept) and "[image: image_0.png]" in str(kept[0].content)  # no payload lingers
    second = agent.invoke({"question": "What is 2 + 3?"}, config)  # the decoded image went with run 1's workspace
    assert second["answer"] == "5" and second["question"] == "What is 2 + 3?" and second["images"] == []


def test_lcel_inputs_are_adapted_to_the_graph_input() -> None:
    prompt = ChatPromptTemplate.from_messages([("system", "Be exact."), ("human", "What is {a} * {b}?")])
    value = prompt.invoke({"a": 6, "b": 7})
    assert to_agent_input(value)["messages"][-1].content == "What is 6 * 7?"
    assert to_agent_input("q?") == {"question": "q?"}
    assert to_agent_input(HumanMessage(content="hi"))["messages"][0].content == "hi"
    assert to_agent_input({"question": "x", "images": []}) == {"question": "x", "images": []}
    with pytest.raises(BadInput, match="got int"):
        to_agent_input(3)
    seen: list[str] = []
    model = arithmetic_model()
    agent = create_tracer1_agent(ScriptedChatModel(policy=lambda m: seen.append(question_of(m)) or model.policy(m)),
                                 ["calculator"])
    assert agent.invoke(to_agent_input(value))["answer"] == "42" and seen[0] == "What is 6 * 7?"
