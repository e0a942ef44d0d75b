"""Model backends: every planner/VLM is a LangChain BaseChatModel chosen by a spec string."""
