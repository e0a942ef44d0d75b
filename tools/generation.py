"""text_to_image and image_stylization — GTA's creativity tools, present but unavailable here.

No diffusion weights are installed, so both tools report themselves unavailable (and refuse if called).
They are still real tools with the official argument schemas: GTA's image-generation tasks are scored on the
predicted calls (tool name and arguments), which the planner can produce when these tools are offered.
"""

from __future__ import annotations

from typing import ClassVar

from pydantic import BaseModel, Field

from toolagent.tools.base import Availability, ToolContext, ToolError, ToolOutput, ToolagentTool
from toolagent.tools.config import ToolConfig

UNAVAILABLE_REASON = "no diffusion weights installed (text-to-image needs a diffusion model)"


class TextToImageArgs(BaseModel):
    keywords: str = Field(description="A series of keywords separated by comma.")


class ImageStylizationArgs(BaseModel):
    image: str = Field(description="The input image (a path or a known image's name)")
    instruction: str = Field(description="What to change, e.g. 'turn him into cyborg', 'add fireworks to the sky'")


class _GenerationTool(ToolagentTool):
    def availability(self) -> Availability:
        return Availability(available=False, reason=UNAVAILABLE_REASON)

    def execute(self, args: BaseModel, ctx: ToolContext) -> ToolOutput:
        raise ToolError(f"{self.name} is unavailable: {UNAVAILABLE_REASON}")


class TextToImageTool(_GenerationTool):
    name: str = "text_to_image"
    description: str = "Generate an image from keywords (e.g. 'a cat, watercolor, sunset')."
    args_schema: type[BaseModel] = TextToImageArgs
    gta_name: ClassVar[str | None] = "TextToImage"


class ImageStylizationTool(_GenerationTool):
    name: str = "image_stylization"
    description: str = "Modify an image according to an instruction (e.g. 'make his jacket out of leather')."
    args_schema: type[BaseModel] = ImageStylizationArgs
    gta_name: ClassVar[str | None] = "ImageStylization"


def make_text_to_image(config: ToolConfig) -> TextToImageTool:
    return TextToImageTool()


def make_image_stylization(config: ToolConfig) -> ImageStylizationTool:
    return ImageStylizationTool()
